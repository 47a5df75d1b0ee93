#!/usr/bin/env bash
# Creates the credentials of the evaluation stack (deploy/compose.yaml) in deploy/secrets/, one
# random value per file, readable only by their owner. Existing files are kept.
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
