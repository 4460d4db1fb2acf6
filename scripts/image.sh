#!/usr/bin/env bash
# The container image, with Podman (as root; no Docker engine needed).
#
#   bash scripts/image.sh build    build localhost/order-service (and, if missing, a Debian base
#                                  image from Debian's packages: no registry is needed)
#   bash scripts/image.sh smoke    run the image as production would, against a real PostgreSQL
#                                  and Kafka: migrate job, readiness, gRPC health, CreateOrder over
#                                  gRPC and Connect, the events on Kafka, SIGTERM -> exit 0
#
# KAFKA_BROKERS names a running broker (CI's); without it, scripts/kafka.sh starts one.
# Fails, saying why, when Podman cannot run here: it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

IMAGE="${IMAGE:-localhost/order-service:latest}"
BASE="${BASE_IMAGE:-localhost/debian:bookworm-slim}"
# crun fails on this machine kind's hybrid cgroups; runc works. Raising rlimits is not permitted.
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
LIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)

need_podman() {
  if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v runc >/dev/null; then
    local sudo=""; ((EUID == 0)) || sudo="sudo"
    echo "installing podman, mmdebstrap and runc from Debian's packages"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq podman buildah mmdebstrap runc >/dev/null \
      || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq podman buildah mmdebstrap runc >/dev/null; }
  fi
  if ! "${PODMAN[@]}" info >/dev/null 2>&1; then
    echo "FAILED: podman cannot run on this machine:" >&2
    "${PODMAN[@]}" info >&2 || true
    exit 1
  fi
}

# A base equivalent to debian:bookworm-slim: minbase, merged /usr by usr-is-merged (usrmerge would
# bring the whole of perl), no docs, man pages, locales or apt lists.
build_base() {
  if "${PODMAN[@]}" image exists "$BASE"; then return; fi
  local rootfs
  rootfs="$(mktemp --suffix=.tar)"
  echo "building $BASE from Debian's packages"
  mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr --include=usr-is-merged \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log' \
    bookworm "$rootfs"
  "${PODMAN[@]}" import "$rootfs" "$BASE" >/dev/null
  rm -f "$rootfs"
}

build() {
  need_podman
  build_base
  local started=$SECONDS secret=()
  # This host's CA bundle, for networks that inspect TLS (a build secret: it stays out of layers).
  local ca="${CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}"
  [[ -s "$ca" ]] && secret=(--secret "id=ca_bundle,src=$ca")
  "${PODMAN[@]}" build "${LIMITS[@]}" --network host "${secret[@]}" \
    --build-arg BASE_IMAGE="$BASE" \
    --build-arg NODE_VERSION="$(node -p 'require("./package.json").devDependencies.node')" \
    --build-arg NPM_VERSION="$(npm --version)" \
    --build-arg VERSION="$(node -p 'require("./package.json").version')" \
    --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    -t "$IMAGE" -f Containerfile .
  local size
  size="$("${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Size}}')"
  echo "image $IMAGE: $((size / 1024 / 1024)) MiB, built in $((SECONDS - started)) s"
}

smoke() {
  need_podman
  "${PODMAN[@]}" image exists "$IMAGE" || { echo "FAILED: no image $IMAGE; run: bash scripts/image.sh build" >&2; exit 1; }
  SMOKE_PODMAN="${PODMAN[*]}" SMOKE_LIMITS="${LIMITS[*]}" node --import tsx scripts/image-smoke.ts "$IMAGE"
}

case "${1:-}" in
  build) build ;;
  smoke) smoke ;;
  *) echo "usage: $0 build|smoke" >&2; exit 2 ;;
esac
