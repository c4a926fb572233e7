#!/bin/sh
# Installs Python packages into the image's own Python; arguments are pip's (names, -r, -c).
# Uses uv when the base image has it (the official Prefect image does, and so does its entrypoint),
# pip otherwise.
set -eu

if command -v uv >/dev/null 2>&1; then
  exec uv pip install --system --no-cache "$@"
fi
exec python -m pip install --no-cache-dir --disable-pip-version-check "$@"
