#!/bin/sh
# Podman's Docker-compatible API for the Docker-driver tests (a CTest fixture, beside
# dockerd.sh and with the same layout): `podman.sh start DIR` starts a private
# `podman system service` — storage, run root, configuration and socket under DIR (the run root
# under a short /tmp path), runc as the runtime, no registry searched for short names — waits
# until it answers, and imports the test image berth-test/busybox:1 (FROM scratch + Debian's
# static busybox). `podman.sh stop DIR` removes its containers, stops it by the PID it recorded
# and removes DIR. No bridge network is offered to the tests (podman's would need CNI and
# iptables rules on this machine), so they leave out bridge mode.
# When Podman cannot run here, start writes the reason to DIR/unavailable and succeeds: the
# tests then skip with that reason.
set -u
cmd="$1"
dir="$2"
sock="$dir/podman.sock"
case "$cmd" in
start)
  rm -rf "$dir"
  mkdir -p "$dir"
  unavailable() { echo "$1" > "$dir/unavailable"; echo "podman.sh: $1" >&2; exit 0; }
  command -v podman >/dev/null 2>&1 || unavailable "podman is not installed (apt-get install podman)"
  [ "$(id -u)" -eq 0 ] || unavailable "the tests run rootful podman: needs root"
  [ -x /bin/busybox ] || unavailable "/bin/busybox is missing (apt-get install busybox-static)"
  run_root=$(mktemp -d /tmp/berth-pm.XXXXXX)
  echo "$run_root" > "$dir/run_root"
  cat > "$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$run_root"
EOF
  # Limits no higher than this process's own: runc cannot raise them (podman's default for
  # nofile is 1048576).
  hard() { awk -v n="$1" 'index($0, n) == 1 { v = $(NF - 1); print (v == "unlimited" || v > 4096) ? 4096 : v }' /proc/self/limits; }
  nofile=$(hard "Max open files")
  nproc=$(hard "Max processes")
  cat > "$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$run_root/tmp"
EOF
  echo 'unqualified-search-registries = []' > "$dir/registries.conf"
  cat > "$dir/env" <<EOF
export CONTAINERS_STORAGE_CONF=$dir/storage.conf
export CONTAINERS_CONF=$dir/containers.conf
export CONTAINERS_REGISTRIES_CONF=$dir/registries.conf
EOF
  . "$dir/env"
  # From DIR: conmon writes files (an `oom` marker when a container is OOM-killed) into the
  # working directory it inherits.
  (cd "$dir" && exec podman system service --time=0 "unix://$sock") > "$dir/podman.log" 2>&1 &
  echo $! > "$dir/podman.pid"
  i=0
  until curl -fs --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$(cat "$dir/podman.pid")" 2>/dev/null; then
      tail -5 "$dir/podman.log" >&2
      unavailable "podman system service did not start: $(tail -1 "$dir/podman.log")"
    fi
    sleep 0.1
  done
  "$(dirname "$0")/import_test_image.sh" "$sock" "$dir" || unavailable "cannot import the test image"
  # A container proves the runtime works here (rlimits, cgroups).
  out=$(. "$dir/env"; podman run --rm --network none berth-test/busybox:1 echo podman-works 2>&1)
  [ "$out" = podman-works ] || unavailable "podman cannot run a container here: $out"
  echo podman > "$dir/engine"
  ln -s "$sock" "$dir/docker.sock"  # where the tests' own engine calls go
  echo "unix://$sock" > "$dir/docker_host"
  ;;
stop)
  run_root=""
  [ -f "$dir/run_root" ] && run_root=$(cat "$dir/run_root")
  if [ -f "$dir/podman.pid" ]; then
    # Containers live on in their conmon processes: remove them while the service answers.
    # Podman refuses to remove a container others share (a pause container) until they are
    # gone: a few passes.
    for pass in 1 2 3; do
      for id in $(curl -s --unix-socket "$sock" "http://d/v1.41/containers/json?all=1" |
                  /usr/bin/python3 -c 'import json,sys; print(" ".join(c["Id"] for c in json.load(sys.stdin)))' 2>/dev/null); do
        curl -s -o /dev/null --unix-socket "$sock" -X DELETE "http://d/v1.41/containers/$id?force=1&v=1"
      done
    done
    pid=$(cat "$dir/podman.pid")
    kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    # What is left of this service's processes (exec sessions' conmon), found by its
    # directories in their command lines and stopped by PID.
    for c in /proc/[0-9]*/cmdline; do
      p=${c#/proc/}; p=${p%/cmdline}
      if tr '\0' ' ' < "$c" 2>/dev/null | grep -q -e "$dir/" -e "${run_root:-/nonexistent}/"; then
        kill -KILL "$p" 2>/dev/null
      fi
    done
  fi
  for root in "$run_root" "$dir"; do
    [ -n "$root" ] || continue
    awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null; done
  done
  [ -n "$run_root" ] && rm -rf "$run_root"
  rm -rf "$dir"
  ;;
*)
  echo "usage: podman.sh start|stop DIR" >&2
  exit 2
  ;;
esac
