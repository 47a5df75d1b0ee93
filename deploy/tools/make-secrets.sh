#!/usr/bin/env bash
# Creates the credentials of the evaluation stack (deploy/compose.yaml) in deploy/secrets/, one
# random value per file, readable only by their owner. Existing files are kept. gateway.env hands the
# same credentials to the gateway as the variables its clients read (AWS SDK default chain,
# libpq's PGPASSWORD); compose reads it on the host, so its owner-only mode does not matter to the
# container's user.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/secrets"
umask 077
mkdir -p "$dir"
make_secret() {
  [ -s "$dir/$1" ] && return 0
  printf '%s' "$2" > "$dir/$1"
  echo "created $dir/$1"
}
make_secret minio-root-user "pgw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
make_secret minio-root-password "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
make_secret postgres-password "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
if [ ! -s "$dir/gateway.env" ]; then
  {
    printf 'AWS_ACCESS_KEY_ID=%s\n' "$(cat "$dir/minio-root-user")"
    printf 'AWS_SECRET_ACCESS_KEY=%s\n' "$(cat "$dir/minio-root-password")"
    printf 'PGPASSWORD=%s\n' "$(cat "$dir/postgres-password")"
  } > "$dir/gateway.env"
  echo "created $dir/gateway.env"
fi
