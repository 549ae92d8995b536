#!/bin/sh
# The Docker engine the Docker-driver tests use (a CTest fixture): `dockerd.sh start DIR` starts
# a private dockerd — its data root, exec root and socket under DIR, no iptables rules, and as
# its default bridge network a bridge of its own (berthd0, 10.220.0.1/24; published ports go
# through docker-proxy), so the machine's own networking is left alone — waits until it answers,
# and imports
# the test image berth-test/busybox:1 (FROM scratch + Debian's static busybox; no registry).
# `dockerd.sh stop DIR` stops it by the PID it recorded and removes DIR.
# When Docker cannot run here (no dockerd, not root), start writes the reason to DIR/unavailable
# and succeeds: the tests then skip with that reason.
set -u
cmd="$1"
dir="$2"
case "$cmd" in
start)
  rm -rf "$dir"
  mkdir -p "$dir"
  unavailable() { echo "$1" > "$dir/unavailable"; echo "dockerd.sh: $1" >&2; exit 0; }
  command -v dockerd >/dev/null 2>&1 || unavailable "dockerd is not installed (apt-get install docker.io)"
  [ "$(id -u)" -eq 0 ] || unavailable "dockerd needs root"
  [ -x /bin/busybox ] || unavailable "/bin/busybox is missing (apt-get install busybox-static)"
  # The exec root holds unix sockets: keep its path short.
  exec_root=$(mktemp -d /tmp/berth-dx.XXXXXX)
  echo "$exec_root" > "$dir/exec_root"
  # ECS's bridge mode (tests with published ports) needs a default bridge network.
  bridge=none
  ip link del berthd0 2>/dev/null
  if ip link add berthd0 type bridge && ip addr add 10.220.0.1/24 dev berthd0 &&
     ip link set berthd0 up; then
    bridge=berthd0
    touch "$dir/bridge"
  fi
  dockerd --data-root "$dir/data" --exec-root "$exec_root" --pidfile "$dir/dockerd.pid" \
    --host "unix://$dir/docker.sock" --iptables=false --ip-masq=false --bridge="$bridge" \
    > "$dir/dockerd.log" 2>&1 &
  echo $! > "$dir/dockerd.launcher.pid"
  i=0
  until curl -fs --unix-socket "$dir/docker.sock" http://docker/_ping >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$(cat "$dir/dockerd.launcher.pid")" 2>/dev/null; then
      tail -5 "$dir/dockerd.log" >&2
      unavailable "dockerd did not start: $(tail -1 "$dir/dockerd.log")"
    fi
    sleep 0.1
  done
  # The test image: busybox's applets as symlinks, nothing else.
  "$(dirname "$0")/import_test_image.sh" "$dir/docker.sock" "$dir" || unavailable "cannot import the test image"
  echo "unix://$dir/docker.sock" > "$dir/docker_host"
  ;;
stop)
  if [ -f "$dir/dockerd.pid" ]; then
    pid=$(cat "$dir/dockerd.pid")
    kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do i=$((i + 1)); sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  # dockerd leaves mounts behind (its netns/default nsfs, overlays of killed containers):
  # detach every mount under its directories, deepest first, before removing them.
  exec_root=""
  [ -f "$dir/exec_root" ] && exec_root=$(cat "$dir/exec_root")
  for root in "$exec_root" "$dir"; do
    [ -n "$root" ] || continue
    awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null; done
  done
  [ -n "$exec_root" ] && rm -rf "$exec_root"
  [ -f "$dir/bridge" ] && ip link del berthd0 2>/dev/null
  rm -rf "$dir"
  ;;
*)
  echo "usage: dockerd.sh start|stop DIR" >&2
  exit 2
  ;;
esac
