#!/bin/sh
# import_test_image.sh SOCKET DIR: builds the test image berth-test/busybox:1 — FROM scratch,
# Debian's static busybox and its applets as symlinks, CMD ["echo","from-the-image"] — in DIR
# and imports it through the Docker API at SOCKET (dockerd or Podman; no registry involved).
# The tag goes inside `repo`: Podman ignores a separate `tag` parameter on import.
set -eu
sock="$1"
dir="$2"
root="$dir/image"
mkdir -p "$root/bin" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in sh echo sleep cat env id ls wget true false test touch seq head dd kill httpd mkdir; do
  ln -sf busybox "$root/bin/$applet"
done
tar -C "$root" -cf "$dir/image.tar" .
curl -fs --unix-socket "$sock" -X POST -H "Content-Type: application/x-tar" \
  --data-binary "@$dir/image.tar" \
  "http://d/v1.41/images/create?fromSrc=-&repo=berth-test/busybox:1&changes=CMD%20%5B%22echo%22%2C%22from-the-image%22%5D" \
  >/dev/null
