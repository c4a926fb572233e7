#!/bin/bash
# One-shot job of compose.yaml, run in the minio/mc image: creates the bucket the tutorial writes
# to, unless it exists. The keys go to mc through its configuration file, not its arguments.
# Bash builtins only, besides mktemp and rm: the image is a minimal one (UBI micro) where sed
# and friends may be missing.
set -euo pipefail

: "${S3_ENDPOINT:?}" "${S3_ACCESS_KEY:?}" "${S3_SECRET_KEY:?}" "${S3_BUCKET:?}"
json_string() { local text=${1//\\/\\\\}; printf '%s' "${text//\"/\\\"}"; }

config=$(mktemp -d)
trap 'rm -rf "$config"' EXIT
printf '{"version":"10","aliases":{"store":{"url":"%s","accessKey":"%s","secretKey":"%s",%s}}}\n' \
  "$S3_ENDPOINT" "$(json_string "$S3_ACCESS_KEY")" "$(json_string "$S3_SECRET_KEY")" \
  '"api":"S3v4","path":"auto"' >"$config/config.json"

mc --config-dir "$config" mb --ignore-existing "store/$S3_BUCKET"
printf '{"job":"minio-bucket","msg":"bucket %s is ready"}\n' "$S3_BUCKET"
