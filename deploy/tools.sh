#!/usr/bin/env bash
# Prepare what `make deploy-test` needs, cached under $ARGILLA_MAINT_CACHE (default ~/.cache/argilla-maint):
#   helm v3.21.4 and the manifest validator (deploy/validate), built from the Go module proxy;
#   the service image (deploy/image.sh build). Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${ARGILLA_MAINT_CACHE:-$HOME/.cache/argilla-maint}"
HELM_VERSION=v3.21.4
export GOPATH="$CACHE/go" GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gobuild" GOFLAGS=-mod=readonly
mkdir -p "$CACHE/bin"

step() {
  local name=$1 started
  shift
  started=$(date +%s)
  "$@"
  echo "deploy/tools.sh: $name ready in $(($(date +%s) - started)) s" >&2
}

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "deploy/tools.sh: $tool is not installed" >&2; exit 1; }
  done
}

helm_() {
  [ -x "$CACHE/bin/helm-$HELM_VERSION" ] && return
  GOBIN="$CACHE/bin/.helm-$HELM_VERSION" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$CACHE/bin/.helm-$HELM_VERSION/helm" "$CACHE/bin/helm-$HELM_VERSION"
  rmdir "$CACHE/bin/.helm-$HELM_VERSION"
}

validator() {
  (cd deploy/validate && go build -trimpath -o "$CACHE/bin/argilla-validate" .)
}

need go buildah podman runc debootstrap
# The image (debootstrap and package downloads, mostly waiting on the network) builds beside the Go builds.
step image deploy/image.sh build &
image_pid=$!
step helm helm_
step validator validator
wait "$image_pid"
