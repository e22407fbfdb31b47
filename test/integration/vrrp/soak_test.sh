#!/usr/bin/env bash
# The VRRP soak as a test (privileged): two baton-vrrpd left alone for BATON_SOAK_SECONDS
# (default 120; the README's figure is a 600 s run) while busy loops saturate every core, on a
# host tuned as docs/vrrp.md ("Busy hosts") says. Asserts that the master never changed state
# and that the virtual address was never seen on both or on neither (sampled every 5 ms).
# False takeovers by the backup (each ended by the master's next advert) are printed, not
# asserted: on this project's VMs the hypervisor stalls even SCHED_FIFO threads for 20+ ms,
# longer than the heartbeat's confirm window, so "none" is not reached here (docs/vrrp.md).
# Usage: soak_test.sh BATON_VRRPD [SECONDS]. Exit 77 (skipped) without root or namespaces.
set -euo pipefail
VRRPD=${1:?usage: soak_test.sh BATON_VRRPD [SECONDS]}
SECONDS_WANTED=${2:-${BATON_SOAK_SECONDS:-120}}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (network namespaces, SCHED_FIFO)"; exit 77; fi
if ! ip netns add "btsoak-probe-$$" 2>/dev/null; then echo "SKIP: cannot create network namespaces"; exit 77; fi
ip netns del "btsoak-probe-$$"

out=$(python3 "$REPO/bench/vrrp/soak.py" --vrrpd "$VRRPD" --seconds "$SECONDS_WANTED" --json)
echo "$out"
failures=0
check() {  # check DESCRIPTION JQ-EXPRESSION (must print true)
  if [[ $(jq -r "$2" <<<"$out") == true ]]; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
check "it ran for the time asked" ".seconds >= $SECONDS_WANTED * 0.99"
check "the master never changed state" ".transitions.a == 0"
check "the virtual address was never on both" ".samples_both_hold_vip == 0"
check "the virtual address was never on neither" ".samples_neither_holds_vip == 0"
check "a master, b backup at the end" '.final_state.a == "master" and .final_state.b == "backup"'
echo "false takeovers by the backup (printed, not asserted): $(jq -r .false_takeovers <<<"$out")"
((failures == 0)) || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
