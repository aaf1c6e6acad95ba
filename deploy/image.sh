#!/usr/bin/env bash
# Build the service image with buildah (no Docker engine needed) on a locally made Debian bookworm base.
#
#   deploy/image.sh build      base (debootstrap, cached) + image; prints the image name and size
#   deploy/image.sh podman ... podman with the storage this script uses (e.g. `podman images`)
#
# No image registry is reachable on the CI machines, so the Dockerfile's FROM
# (docker.io/library/debian:bookworm-slim) is satisfied by a `debootstrap --variant=minbase bookworm` tree
# (what Debian's slim images are made from), imported under that name, and the build runs with --pull=never.
# Everything lives under $ARGILLA_MAINT_CACHE (default ~/.cache/argilla-maint)/deploy so reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${ARGILLA_MAINT_CACHE:-$HOME/.cache/argilla-maint}/deploy"
ROOTFS="$CACHE/rootfs-bookworm"
BASE_IMAGE="docker.io/library/debian:bookworm-slim"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)"
IMAGE="${ARGILLA_MAINT_IMAGE:-localhost/argilla-maintenance:$VERSION}"
STORAGE=(--storage-driver vfs --root "$CACHE/storage" --runroot "${XDG_RUNTIME_DIR:-/run}/argilla-maint-containers")

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "deploy/image.sh: $tool is not installed (apt-get install buildah podman runc debootstrap)" >&2; exit 1; }
  done
}

podman_() { podman "${STORAGE[@]}" "$@"; }

base() {
  if podman_ image exists "$BASE_IMAGE"; then return; fi
  need debootstrap
  if [ ! -x "$ROOTFS/usr/bin/apt-get" ]; then
    rm -rf "$ROOTFS.tmp"
    mkdir -p "$CACHE"
    echo "debootstrap bookworm (minbase) into $ROOTFS" >&2
    debootstrap --variant=minbase bookworm "$ROOTFS.tmp" http://deb.debian.org/debian >&2
    # Debian's images also follow the point-release updates and the security archive.
    rm -f "$ROOTFS.tmp/etc/apt/sources.list"
    cat > "$ROOTFS.tmp/etc/apt/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    # As in Debian's slim images: dpkg leaves out documentation, manuals and translations.
    cat > "$ROOTFS.tmp/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
SLIM
    find "$ROOTFS.tmp/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    rm -rf "$ROOTFS.tmp"/usr/share/{man,info,locale,lintian}/*
    mv "$ROOTFS.tmp" "$ROOTFS"
  fi
  # Trimmed as Debian's slim images are: no package lists, caches or logs in the base layer.
  tar -C "$ROOTFS" --exclude=./var/lib/apt/lists/* --exclude=./var/cache/apt/* --exclude=./var/log/* \
      --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* -c . \
    | podman_ import --change 'CMD ["bash"]' - "$BASE_IMAGE" >&2
}

build() {
  need buildah podman runc
  base
  # No per-commit labels here: on vfs every extra layer is a full copy, and a cached rebuild should add none.
  # Release builds add --label org.opencontainers.image.revision=... --label org.opencontainers.image.created=...
  # The machine's CA bundle reaches PyPI through the same TLS path as the host (a build secret, not a layer).
  local secret=()
  [ -s /etc/ssl/certs/ca-certificates.crt ] && secret=(--secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt)
  buildah "${STORAGE[@]}" build --isolation chroot --layers --pull=never --network host "${secret[@]}" \
    -t "$IMAGE" -f Dockerfile . >&2
  echo "$IMAGE $(podman_ image inspect --format '{{.Size}}' "$IMAGE")"
}

case "${1:-}" in
  build) build ;;
  podman) shift; podman_ "$@" ;;
  *) echo "usage: deploy/image.sh build | podman ARGS..." >&2; exit 2 ;;
esac
