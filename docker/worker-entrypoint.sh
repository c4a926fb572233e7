#!/bin/sh
# Runs under tini. Installs EXTRA_PIP_PACKAGES (space-separated requirement specifiers) before
# anything is registered, as the official Prefect image's entrypoint does, then replaces itself
# with the node entrypoint so that stop signals reach it directly.
set -eu

# One JSON line per event, shaped like the entrypoint's own log lines.
log() { # level, message, extra JSON fields
  printf '{"level":"%s","time":"%s","phase":"extra-pip-packages","msg":"%s"%s}\n' \
    "$1" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$2" "${3:-}"
}

if [ -n "${EXTRA_PIP_PACKAGES:-}" ]; then
  pip_log=$(mktemp)
  log info "installing EXTRA_PIP_PACKAGES before registration" \
    ",\"packages\":\"$(printf '%s' "$EXTRA_PIP_PACKAGES" | sed 's/["\\]/\\&/g')\""
  status=0
  # Word splitting is wanted: the variable holds several specifiers.
  # shellcheck disable=SC2086
  /opt/worker/install-python-packages.sh $EXTRA_PIP_PACKAGES >"$pip_log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$pip_log" >&2
    log error "installing EXTRA_PIP_PACKAGES failed; check the names and versions above" \
      ",\"exitCode\":$status" >&2
    exit "$status"
  fi
  rm -f "$pip_log"
fi

exec node /opt/worker/entrypoint.mjs "$@"
