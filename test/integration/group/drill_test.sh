#!/usr/bin/env bash
# The drill as a test (privileged): runs `baton-lab drill --short --json` with the real daemons
# under probe traffic and asserts on what the probe saw:
#   - each orchestrator failure (kill -9 of batond, death of its host) and the planned
#     switchover hands the active role to the other orchestrator;
#   - no TCP connection is broken by any orchestrator event;
#   - a restarted orchestrator comes back as standby (the active stays where it was);
#   - an upgrade (SIGTERM, then start again) of the active batond hands over and loses nothing;
#   - the planned switchover loses no UDP packet;
#   - admin down/up and a member's death are reported with the member's resulting state, and
#     the death is seen as loss of carrier on the member's ports (not by missed heartbeats);
#   - a spare taken into service and returned to the pool is reported with its buckets by
#     both orchestrators (the standby holds the active's decision);
#   - with HyperSync: no member event (admin down/up -p, the spare in and out, a member's
#     death) breaks a TCP connection, admin down -p and up -p and the spare in and out lose no
#     packet, and in the quiet window after the
#     last event every connection still alive delivers data again (none lost its state).
# Usage: drill_test.sh BUILD_DIR. Exit 77 (skipped) without root or namespaces.
set -euo pipefail

BUILD=$(cd "${1:?usage: drill_test.sh BUILD_DIR}" && pwd)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (network namespaces, XDP)"; exit 77; fi
if ! ip netns add "bltest-probe-$$" 2>/dev/null; then echo "SKIP: cannot create network namespaces"; exit 77; fi
ip netns del "bltest-probe-$$"

json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$REPO/tools/lab/baton-lab" drill --short --build "$BUILD" --json "$json"
echo "---- $json"
cat "$json"

failures=0
check() {  # check DESCRIPTION JQ-EXPRESSION (must print true)
  if [[ $(jq -r "$2" "$json") == true ]]; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
ev() { echo ".events[] | select(.name | test(\"$1\"))"; }

check "kill -9 of the active batond hands over" "[$(ev 'kill -9 batond')] as \$e | (\$e | length > 0) and (\$e | all(.active_before != .active_after))"
check "an upgrade (SIGTERM and restart of the active batond) hands over" "[$(ev 'upgrade')] as \$e | (\$e | length > 0) and (\$e | all(.active_before != .active_after))"
check "an upgrade loses no packet" "[$(ev 'upgrade') | .lost_packets] as \$e | (\$e | length > 0) and (\$e | all(. == 0))"
check "the host's death hands over" "[$(ev 'host .* dies')] as \$e | (\$e | length > 0) and (\$e | all(.active_before != .active_after))"
check "the planned switchover hands over" "[$(ev 'planned switchover')] as \$e | (\$e | length > 0) and (\$e | all(.active_before != .active_after))"
check "a restarted batond comes back as standby" "[$(ev 'restarts')] as \$e | (\$e | length > 0) and (\$e | all(.active_before == .active_after))"
check "no orchestrator event breaks a TCP connection" \
  "[.events[] | select(.name | test(\"batond|host|switchover\")) | .broken_connections] | all(. == 0)"
check "the planned switchover loses no packet" "[$(ev 'planned switchover') | .lost_packets] as \$e | (\$e | length > 0) and (\$e | all(. == 0))"
check "every orchestrator event was measured" "[.events[] | select(.name | test(\"batond|host|switchover\"))] | length >= 5"
check "admin down is reported as down" "[$(ev 'down -p') | .note] as \$e | (\$e | length > 0) and (\$e | all(test(\"is down\")))"
check "admin up is reported as active" "[$(ev 'up -p') | .note] as \$e | (\$e | length > 0) and (\$e | all(test(\"is active\")))"
check "the member's death is detected" "[$(ev 'gw.* dies') | .note] as \$e | (\$e | length > 0) and (\$e | all(test(\"is failed\")))"
check "the member's death is seen as loss of carrier on its ports" "[$(ev 'gw.* dies') | .note] as \$e | (\$e | length > 0) and (\$e | all(test(\"no carrier on gw[0-9]+-(ext|int)\")))"
check "the spare in service is active with buckets on both orchestrators" \
  "[$(ev 'into service') | .note] as \$e | (\$e | length == 1) and (\$e[0] | test(\"is active, [1-9][0-9]* buckets on the active .*; active, [1-9][0-9]* buckets on the standby\"))"
check "the spare back in the pool has no buckets on either orchestrator" \
  "[$(ev 'spare pool') | .note] as \$e | (\$e | length == 1) and (\$e[0] | test(\"is spare, 0 buckets on the active .*; spare, 0 buckets on the standby\"))"
check "no member event breaks a TCP connection" \
  "[.events[] | select(.name | test(\"clusterXL_admin|gw.* dies|spare\")) | .broken_connections] as \$e | (\$e | length == 5) and (\$e | all(. == 0))"
check "admin down -p and up -p lose no packet" \
  "[$(ev 'clusterXL_admin') | .lost_packets] as \$e | (\$e | length == 2) and (\$e | all(. == 0))"
check "the spare into service and back to the pool loses no packet" \
  "[$(ev 'spare') | .lost_packets] as \$e | (\$e | length == 2) and (\$e | all(. == 0))"
check "after the events every connection carries data again" \
  "[$(ev 'quiet')] as \$e | (\$e | length == 1) and (\$e[0].tcp_connections > 0) and (\$e[0].tcp_progressed == \$e[0].tcp_connections)"
check "no connection was lost over the whole drill" \
  "([.events[].broken_connections] | add) == 0"
((failures == 0)) || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
