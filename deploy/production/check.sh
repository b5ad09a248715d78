#!/usr/bin/env bash
# Validates deploy/production/docker-compose.yml with the compose CLI that is installed (docker
# compose v2 or docker-compose 1.29), using .env.example for the variables. Exit 0 when valid.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "check.sh: neither 'docker compose' nor 'docker-compose' is installed" >&2
  exit 2
fi
"${compose[@]}" --env-file .env.example -f docker-compose.yml config -q
echo "deploy/production/docker-compose.yml: valid (${compose[*]})"
