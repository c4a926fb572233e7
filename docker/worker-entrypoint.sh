#!/bin/sh
# Runs under tini. Installs EXTRA_PIP_PACKAGES (space-separated requirement specifiers) before
# anything is registered, as the official Prefect image's entrypoint does, then replaces itself
# with the node entrypoint so that stop signals reach it directly.
set -eu

if [ -n "${EXTRA_PIP_PACKAGES:-}" ]; then
  log=$(mktemp)
  printf '{"level":"info","phase":"extra-pip-packages","msg":"installing %s"}\n' \
    "$EXTRA_PIP_PACKAGES"
  status=0
  # Word splitting is wanted: the variable holds several specifiers.
  # shellcheck disable=SC2086
  /opt/worker/install-python-packages.sh $EXTRA_PIP_PACKAGES >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    printf '{"level":"error","phase":"extra-pip-packages","msg":"%s","exitCode":%s}\n' \
      "installing EXTRA_PIP_PACKAGES failed; check the names and versions above" "$status" >&2
    exit "$status"
  fi
  rm -f "$log"
fi

exec node /opt/worker/entrypoint.mjs "$@"
