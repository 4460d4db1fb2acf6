#!/usr/bin/env bash
# The breaking-change gate of the contracts other teams build on.
#
#   bash scripts/contracts.sh breaking [dir]   compare dir's proto/ (default: this repo's) with the baseline
#   bash scripts/contracts.sh baseline         move the baseline to proto/ as it is now (a release)
#
# The baseline (contracts/baseline.binpb, a buf image of the workspace) is the API as last
# released. It moves only by the second command, in a commit of its own that says why.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BASELINE="$REPO/contracts/baseline.binpb"
BUF="$REPO/node_modules/.bin/buf"
# Paths inside the image are relative to the module roots.
EVENTS=shop/order/events

case "${1:-}" in
  breaking)
    current="$(mktemp --suffix=.binpb)"
    trap 'rm -f "$current"' EXIT
    (cd "${2:-$REPO}" && "$BUF" build -o "$current")
    # Service contracts: nothing a client sends or receives, in binary or JSON, may break.
    "$BUF" breaking "$current" --against "$BASELINE" --config '{"version":"v2","breaking":{"use":["WIRE_JSON"]}}' \
      --exclude-path "$EVENTS" --error-format text
    # Events: consumers generate code from them, so their source must not break either.
    "$BUF" breaking "$current" --against "$BASELINE" --config '{"version":"v2","breaking":{"use":["FILE"]}}' \
      --path "$EVENTS" --error-format text
    echo "no breaking change against the baseline"
    ;;
  baseline)
    cd "$REPO"
    "$BUF" build -o "$BASELINE"
    echo "baseline moved to proto/ as it is now: commit contracts/baseline.binpb and say why"
    ;;
  *)
    echo "usage: $0 breaking [dir] | baseline" >&2
    exit 2
    ;;
esac
