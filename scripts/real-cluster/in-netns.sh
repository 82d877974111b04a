#!/usr/bin/env bash
# Runs CMD… inside a new, private network namespace: only `lo`, with the real-cluster address
# ranges made local so any address in them can be bound. No other interface exists in it, so no
# packet can leave. Needs root (unshare --net). Build everything first: there is no network inside.
#
#   10.90.0.0/16   API servers (10.90.i.1) and node agents (10.90.i.(10+j))
#   10.244.0.0/16  pod IPs
#
# Inside, REAL_CLUSTER_OUTER_NETNS names the namespace this script was started in (a test uses it
# to check that kcp up refuses to run there).
set -euo pipefail
if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG…]" >&2
  exit 2
fi

if [ "${REAL_CLUSTER_NETNS_INNER:-}" != "$$" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "in-netns.sh: needs root to make a network namespace (unshare --net); run it as root, e.g. with sudo" >&2
    exit 1
  fi
  for tool in unshare ip; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "in-netns.sh: '$tool' is missing; install util-linux (unshare) and iproute2 (ip)" >&2
      exit 1
    }
  done
  # Not exec: this shell stays in the outer namespace, so /proc/$$/ns/net keeps naming it.
  export REAL_CLUSTER_OUTER_NETNS="/proc/$$/ns/net"
  # --fork: the command is unshare's child, so it is PID-wise an ordinary process in the new namespace.
  # The inner shell knows it is inner because the marker is its own PID.
  unshare --net --fork -- bash -c 'export REAL_CLUSTER_NETNS_INNER=$$; exec bash "$0" "$@"' "$0" "$@"
  exit $?
fi

unset REAL_CLUSTER_NETNS_INNER
ip link set lo up
ip route add local 10.90.0.0/16 dev lo
ip route add local 10.244.0.0/16 dev lo
if ip -o link show | grep -qv ': lo:'; then
  echo "in-netns.sh: the new namespace has an interface other than lo; refusing" >&2
  exit 1
fi
exec "$@"
