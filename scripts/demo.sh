#!/usr/bin/env bash
# The README's demo command. Installs dependencies, builds, and runs the demonstration.
# Until the lab drill lands (an orchestrated group in network namespaces), the demo is a
# distribution scenario in the simulator: 64 members, 1M flows, two failures in a row, a
# planned admin-down, a member added, a weight changed; after each event, what moved.
# Extra arguments are passed to baton-sim (e.g. --json, --flows 10000000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
echo "demo: building (first run takes a few minutes)..."
bash scripts/build.sh >/dev/null
exec build/src/sim/baton-sim --members 64 --flows 1000000 \
  --fail 1 --fail 2 --admin-down 3 --add 65 --weight 4=2 "$@"
