#!/usr/bin/env bash
# Builds packages/order-api from gen/ and proto/ and packs it: prints the tarball's path.
#
#   bash scripts/build-client.sh [destination]     default destination: packages/order-api
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$REPO/packages/order-api"
DEST="$(cd "${1:-$PKG}" && pwd)"
rm -rf "$PKG/dist" "$PKG/gen" "$PKG/proto"
mkdir -p "$PKG/gen/shop/order" "$PKG/gen/google" "$PKG/proto/shop"
# The published contracts only: the order and cart services, money, request limits, the events, google.rpc/type/api.
cp -r "$REPO/gen/shop/order/v1" "$REPO/gen/shop/order/events" "$PKG/gen/shop/order/"
cp -r "$REPO/gen/shop/cart" "$REPO/gen/shop/money" "$REPO/gen/shop/api" "$PKG/gen/shop/"
cp -r "$REPO/gen/google/rpc" "$REPO/gen/google/type" "$REPO/gen/google/api" "$PKG/gen/google/"
cp -r "$REPO/proto/shop/order" "$REPO/proto/shop/cart" "$REPO/proto/shop/money" "$REPO/proto/shop/api" "$PKG/proto/shop/"
cp "$REPO/docs/asyncapi.json" "$PKG/asyncapi.json"
"$REPO/node_modules/.bin/tsc" -p "$PKG/tsconfig.json"
(cd "$PKG" && npm pack --silent --pack-destination "$DEST" | tail -1 | sed "s#^#$DEST/#")
