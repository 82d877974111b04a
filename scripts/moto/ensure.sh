#!/usr/bin/env bash
# Makes sure moto's server (an AWS emulator nobody here wrote, used by the AWS provider's
# conformance tests) is installed, in a venv of its own under a cache folder, at a pinned version.
# Prints the path of the moto_server executable. Idempotent: a second run installs nothing.
#   KUBECOST_ROTATE_MOTO_VENV  where the venv goes (default: $XDG_CACHE_HOME or ~/.cache, /kubecost-rotate/moto-<version>)
set -euo pipefail
MOTO_VERSION=5.2.5
venv="${KUBECOST_ROTATE_MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kubecost-rotate/moto-${MOTO_VERSION}}"
server="$venv/bin/moto_server"
if [ -x "$server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '${MOTO_VERSION}')" 2>/dev/null; then
  echo "$server"
  exit 0
fi
python=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
done
[ -n "$python" ] || { echo "scripts/moto/ensure.sh: no python3 on PATH; install Python 3.9+ to run the moto tests" >&2; exit 1; }
echo "--- installing moto[server]==${MOTO_VERSION} into $venv" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}" >&2
[ -x "$server" ] || { echo "scripts/moto/ensure.sh: moto installed but $server is missing" >&2; exit 1; }
echo "$server"
