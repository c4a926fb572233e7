#!/usr/bin/env bash
# Makes podman usable on a machine without a Docker engine; safe to run again.
# The sandbox's kernel refuses crun's rlimit and cgroup handling, so containers run with runc and
# cgroupfs and keep the host's ulimits (see podman-args in test/container/podman.ts).
set -euo pipefail

# `podman info` fails when a helper it needs is missing (netavark, say), not only podman itself.
if ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null \
  || ! podman info >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # netavark, the network backend podman needs even with --network host, is only recommended.
  apt-get install -y -qq podman runc debootstrap netavark >/dev/null
fi

conf=/etc/containers/containers.conf
if [ ! -e "$conf" ]; then
  mkdir -p "$(dirname "$conf")"
  printf '[containers]\ndefault_ulimits = []\n' > "$conf"
elif ! grep -qs '^default_ulimits = \[\]' "$conf"; then
  echo "$conf exists without 'default_ulimits = []' under [containers]; add it by hand" >&2
  exit 1
fi

podman --version
