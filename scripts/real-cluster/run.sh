#!/usr/bin/env bash
# The real-cluster suite (npm run test:real): builds kcp if missing (outside the network namespace:
# the build needs the Go module proxy), then runs vitest with vitest.real.config.ts inside a new,
# private network namespace. Extra arguments go to vitest (e.g. a test file). Needs root and Go.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"

started=$(date +%s)
KCP_BIN="$(scripts/real-cluster/build.sh)"
export KCP_BIN
built=$(date +%s)
echo "--- real cluster: kcp ready in $((built - started))s ($KCP_BIN)"

status=0
scripts/real-cluster/in-netns.sh node_modules/.bin/vitest run -c vitest.real.config.ts "$@" || status=$?
echo "--- real cluster: suite ran in $(($(date +%s) - built))s (exit $status)"
exit "$status"
