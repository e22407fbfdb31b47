#!/usr/bin/env bash
# The README's demo command: installs dependencies, builds, and runs the lab drill: a whole
# orchestrated group in network namespaces (two orchestrators, four members and a spare, a
# client, a router, a server), failures one after another under live probe traffic, and a
# table of what the clients saw. Needs root. Extra arguments go to `baton-lab drill`
# (--json FILE, --short, --keep; see tools/lab/baton-lab --help and docs/lab.md).
# The distribution simulator's scenario, the demo before the lab existed, is still one
# command away: build/src/sim/baton-sim --members 64 --fail 1 --fail 2 --admin-down 3
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: the lab builds network namespaces and attaches XDP programs: run it as root" >&2
  exit 1
fi
bash scripts/install-deps.sh >/dev/null
echo "demo: building (first run takes a few minutes)..."
bash scripts/build.sh >/dev/null
exec tools/lab/baton-lab drill --build build "$@"
