#!/usr/bin/env bash
# Builds kcp, the real control plane of the real-cluster tests (test/real/controlplane), unless a
# binary for exactly these sources and this Go is already cached, and prints the binary's path.
#   build.sh          build if missing, print the path
#   build.sh --path   print the path only if it is built (never builds: usable offline), else fail
# The first build compiles k8s.io/kubernetes: about 14 CPU-minutes. Go's own build cache makes a
# rebuild after a small change to the module take seconds plus the link.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
module="$repo/test/real/controlplane"

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is not installed; the real control plane is built from the k8s.io/kubernetes Go module (https://go.dev/dl)" >&2
  exit 1
fi

# The key: the module's sources, this script (it holds the build flags) and the Go version.
key="$(
  cd "$module"
  go version
  for f in go.mod go.sum $(printf '%s\n' *.go | LC_ALL=C sort) "$repo/scripts/real-cluster/build.sh"; do
    echo "== ${f#"$repo/"}"
    cat "$f"
  done | sha256sum
)"
hash="$(printf '%s' "$key" | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kubecost-rotate"
bin="$cache/kcp-$hash/kcp"

if [ "${1:-}" = --path ]; then
  [ -x "$bin" ] || { echo "build.sh: kcp is not built for these sources ($bin); run scripts/real-cluster/build.sh first" >&2; exit 1; }
  echo "$bin"
  exit 0
fi

if [ ! -x "$bin" ]; then
  echo "build.sh: building kcp (k8s.io/kubernetes v1.34.4, etcd v3.6.16) into $bin; a first build takes 10+ minutes on 2 cores" >&2
  started=$(date +%s)
  mkdir -p "$(dirname "$bin")"
  # The component-base version variables are what /version reports (v0.0.0 without them).
  ldflags="-X k8s.io/component-base/version.gitVersion=v1.34.4 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$module" && go build -trimpath -ldflags "$ldflags" -o "$bin.tmp.$$" .)
  mv "$bin.tmp.$$" "$bin"
  echo "build.sh: built in $(($(date +%s) - started))s" >&2
fi
# Binaries are ~170 MB each. Keep the 4 used last: other worktrees (other versions of these sources)
# may be running theirs right now, and removing theirs would only make them rebuild.
touch "$(dirname "$bin")"
find "$cache" -mindepth 1 -maxdepth 1 -name 'kcp-*' -printf '%T@ %p\n' | sort -rn | tail -n +5 | cut -d' ' -f2- |
  while read -r old; do rm -rf "$old"; done
echo "$bin"
