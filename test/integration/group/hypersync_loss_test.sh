#!/usr/bin/env bash
# HyperSync under loss (privileged): the drill with 200 long-lived TCP connections through the
# stateful members while the switch drops 5 % of the HyperSync segment's frames
# (LAB_SYNC_LOSS=5, an nftables numgen rule). Asserts that the loss was really applied, that no
# member event (admin down -p / up -p, a member's death) breaks a connection, that admin down
# and up lose no packet, and that every connection carries data in the quiet window after the
# last event (none lost its state).
# Usage: hypersync_loss_test.sh BUILD_DIR. Exit 77 (skipped) without root or namespaces.
set -euo pipefail

BUILD=$(cd "${1:?usage: hypersync_loss_test.sh BUILD_DIR}" && pwd)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (network namespaces, XDP, conntrack)"; exit 77; fi
if ! ip netns add "bltest-probe-$$" 2>/dev/null; then echo "SKIP: cannot create network namespaces"; exit 77; fi
ip netns del "bltest-probe-$$"

json=$(mktemp)
trap 'rm -f "$json"' EXIT
LAB_SYNC_LOSS=5 "$REPO/tools/lab/baton-lab" drill --short --tcp 200 --build "$BUILD" --json "$json"
echo "---- $json"
cat "$json"

failures=0
check() {  # check DESCRIPTION JQ-EXPRESSION (must print true)
  if [[ $(jq -r "$2" "$json") == true ]]; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
check "the sync segment really lost frames" ".sync_loss.percent == 5 and .sync_loss.dropped > 0"
check "200 connections were up" ".events[0].tcp_connections == 200"
check "no member event breaks a TCP connection" \
  "[.events[] | select(.name | test(\"clusterXL_admin|gw.* dies\")) | .broken_connections] as \$e | (\$e | length == 3) and (\$e | all(. == 0))"
check "admin down -p and up -p lose no packet" \
  "[.events[] | select(.name | test(\"clusterXL_admin\")) | .lost_packets] as \$e | (\$e | length == 2) and (\$e | all(. == 0))"
check "after the events every connection carries data again" \
  "[.events[] | select(.name | test(\"quiet\"))] as \$e | (\$e | length == 1) and (\$e[0].tcp_progressed == \$e[0].tcp_connections) and (\$e[0].tcp_connections == 200)"
((failures == 0)) || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
