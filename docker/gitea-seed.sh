#!/bin/bash
# One-shot job of compose.yaml, run in the gitea/gitea image as the git user with Gitea's /data
# volume mounted: makes sure the account and the workspace repository exist, and pushes the
# tutorial workspace (/seed/workspace) while the repository is still empty.
#
# Safe on every `docker compose up`: an existing account gets its password from the environment
# again, and a repository that already has commits is left alone, so work pushed to it is never
# overwritten (`docker compose down -v` starts over from examples/workspace).
#
# Passwords and tokens reach curl and git through files in a private HOME, never through command
# arguments, which any process on the host could read.
set -euo pipefail

: "${GITEA_URL:?}" "${GITEA_ADMIN_USERNAME:?}" "${GITEA_ADMIN_PASSWORD:?}" "${GITEA_ADMIN_EMAIL:?}"
: "${WORKSPACE_REPO_NAME:?}"
user=$GITEA_ADMIN_USERNAME
repo=$WORKSPACE_REPO_NAME
api=$GITEA_URL/api/v1
seed_dir=${SEED_DIR:-/seed/workspace}

log() { printf '{"job":"gitea-seed","msg":"%s"}\n' "$*"; }
fail() { printf '{"job":"gitea-seed","level":"error","msg":"%s"}\n' "$*" >&2; exit 1; }
json_string() { local text=${1//\\/\\\\}; printf '%s' "${text//\"/\\\"}"; }

HOME=$(mktemp -d)
export HOME
token_name=""
cleanup() {
  # The seeding token can administer Gitea; it must not outlive the job.
  if [ -n "$token_name" ]; then
    curl -fsS --netrc-file "$HOME/.netrc" -X DELETE "$api/users/$user/tokens/$token_name" \
      || log "could not delete access token $token_name; delete it in Gitea's settings"
  fi
  rm -rf "$HOME"
}
trap cleanup EXIT

host=${GITEA_URL#*://}
host=${host%%/*}
host=${host%%:*}
# Quoted, with \ and " escaped the same way as in JSON: curl's netrc parser (used by git too)
# reads a password with spaces or quotes only in this form.
printf 'machine %s login "%s" password "%s"\n' "$host" "$(json_string "$user")" \
  "$(json_string "$GITEA_ADMIN_PASSWORD")" >"$HOME/.netrc"
chmod 600 "$HOME/.netrc"

if gitea admin user list | awk 'NR > 1 { print $2 }' | grep -qxF "$user"; then
  log "account $user exists"
else
  # A random password keeps the real one out of gitea's arguments; the API sets it below.
  gitea admin user create --username "$user" --email "$GITEA_ADMIN_EMAIL" --admin \
    --random-password --must-change-password=false >/dev/null
  log "created admin account $user"
fi

name=compose-seed-$(date +%s)-$RANDOM
token=$(gitea admin user generate-access-token --username "$user" --token-name "$name" \
  --scopes write:admin,write:repository,write:user --raw | tail -n 1)
token_name=$name
printf 'header = "Authorization: token %s"\n' "$token" >"$HOME/token.curlrc"
gitea_api() { curl -fsS -K "$HOME/token.curlrc" -H 'Content-Type: application/json' "$@"; }

printf '{"login_name":"%s","source_id":0,"email":"%s","password":"%s",%s}' \
  "$(json_string "$user")" "$(json_string "$GITEA_ADMIN_EMAIL")" \
  "$(json_string "$GITEA_ADMIN_PASSWORD")" '"must_change_password":false' >"$HOME/account.json"
gitea_api -X PATCH --data @"$HOME/account.json" "$api/admin/users/$user" >/dev/null \
  || fail "could not set the password of $user; Gitea may reject it as too short or too simple"

status=$(gitea_api -o "$HOME/repo.json" -w '%{http_code}' "$api/repos/$user/$repo" || true)
if [ "$status" = 404 ]; then
  printf '{"name":"%s","private":true,"default_branch":"main","description":"%s"}' \
    "$(json_string "$repo")" "Prefect workspace: flows and prefect.yaml" >"$HOME/new-repo.json"
  gitea_api -X POST --data @"$HOME/new-repo.json" -o "$HOME/repo.json" "$api/user/repos"
  log "created repository $user/$repo"
elif [ "$status" != 200 ]; then
  fail "GET $api/repos/$user/$repo answered $status"
fi

if ! grep -q '"empty":true' "$HOME/repo.json"; then
  log "repository $user/$repo already has commits; leaving it as it is"
  exit 0
fi

mkdir "$HOME/checkout"
cp -R "$seed_dir/." "$HOME/checkout/"
cd "$HOME/checkout"
find . \( -name __pycache__ -o -name .pytest_cache \) -prune -exec rm -rf {} +
git init --quiet --initial-branch=main
git add --all
git -c user.name="Workspace seed" -c user.email="$GITEA_ADMIN_EMAIL" \
  commit --quiet -m "Seed the tutorial workspace"
git push --quiet "$GITEA_URL/$user/$repo.git" main
log "pushed the tutorial workspace to $user/$repo (branch main)"
