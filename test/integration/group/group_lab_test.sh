#!/usr/bin/env bash
# The orchestrated group end to end (privileged): builds the lab (tools/lab/baton-lab) with the
# real batond, baton-agent, batonctl and clusterXL_admin, and asserts issue 5's properties:
#   - exactly one active orchestrator, the other a standby following the same generation;
#   - forged, truncated and replayed control messages are counted and change nothing;
#   - clusterXL_admin down -p survives a restart of the member's agent and of the active
#     orchestrator's batond, and up -p brings the member back;
#   - a member's death (agent killed, links down) is detected and its buckets move;
#   - batonctl flow: a live TCP connection through the group is held by its owner and its
#     successor (HyperSync); one that does not exist is held by neither; bad input is named.
# Usage: group_lab_test.sh BUILD_DIR. Exit 77 (skipped) without root or namespaces.
set -euo pipefail

BUILD=$(cd "${1:?usage: group_lab_test.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
LAB=$REPO/tools/lab/baton-lab

if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (network namespaces, XDP)"; exit 77; fi
if ! ip netns add "bltest-probe-$$" 2>/dev/null; then echo "SKIP: cannot create network namespaces"; exit 77; fi
ip netns del "bltest-probe-$$"

LAB_LIB=$REPO/tools/lab/lib
# shellcheck source=../../../tools/lab/lib/common.sh
source "$LAB_LIB/common.sh"
# shellcheck source=../../../tools/lab/lib/daemons.sh
source "$LAB_LIB/daemons.sh"
LAB_BUILD=$BUILD

out=$("$LAB" up --build "$BUILD" 2>&1) || { echo "$out"; echo "FAIL: baton-lab up"; exit 1; }
LAB_P=$(tail -1 <<<"$out")
valid_prefix "$LAB_P" || { echo "$out"; echo "FAIL: baton-lab up printed no prefix"; exit 1; }
LAB_RUN=$(run_dir_of "$LAB_P")
trap '"$LAB" down "$LAB_P" >/dev/null 2>&1 || true' EXIT

failures=0
pass() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# eventually SECONDS DESCRIPTION CMD...: retries CMD every 50 ms.
eventually() {
  local secs=$1 desc=$2; shift 2
  local end=$(($(date +%s%3N) + secs * 1000))
  while (($(date +%s%3N) < end)); do
    if "$@" >/dev/null 2>&1; then pass "$desc"; return 0; fi
    sleep 0.05
  done
  fail "$desc (not within ${secs}s)"
  return 1
}
members_json() { batonctl_in "$1" show members -o json | jq -c '.result // .'; }
member_field() { members_json "$1" | jq -r --arg n "$2" ".members[] | select(.name==\$n) | $3"; }
metric() { nsx "$1" curl -s "127.0.0.1:$2/metrics" | awk -v m="$3" '$1==m {print $2}'; }
metrics_port() { [[ $1 == oa ]] && echo 9471 || echo 9472; }
active() { the=""; for o in oa ob; do [[ $(role_of "$o") == active ]] && the="$the$o"; done; echo "$the"; }

# 1. Exactly one active orchestrator; the standby runs the active's generation.
a=$(active)
if [[ $a == oa || $a == ob ]]; then pass "exactly one active orchestrator ($a)"; else fail "active orchestrators: '$a'"; fi
standby=$([[ $a == oa ]] && echo ob || echo oa)
gen_a=$(status_json "$a" | jq -r .generation)
eventually 3 "the standby follows the active's table generation ($gen_a)" \
  bash -c "[[ \$(ip netns exec ${LAB_P}$standby $(bin batonctl) --socket $LAB_RUN/$standby/batond.sock show status -o json | jq -r '.result.generation // .generation') == $gen_a ]]"

# 2. Forged, truncated and replayed control messages: counted, nothing changes.
port=$(metrics_port "$a")
gen_before=$(status_json "$a" | jq -r .generation)
states_before=$(members_json "$a" | jq -c '[.members[] | .state]')
mac_before=$(metric "$a" "$port" 'baton_control_dropped_total{reason="bad-mac"}')
trunc_before=$(metric "$a" "$port" 'baton_control_dropped_total{reason="truncated"}')
replay_before=$(metric "$a" "$port" 'baton_control_dropped_total{reason="replayed"}')
ctl_addr=$([[ $a == oa ]] && echo 10.1.0.2 || echo 10.1.0.3)
# A real heartbeat of gw1's agent, captured on the wire, sent again; then the same message
# with one body byte flipped (a forgery), and a few bytes of nothing.
nsx gw1 python3 - "$ctl_addr" <<'PY'
import socket, sys, time
dst = sys.argv[1]
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # every frame
cap.bind(("ext", 0))
cap.settimeout(3)
deadline = time.time() + 3
payload = None
while time.time() < deadline and payload is None:
    frame = cap.recv(65535)
    if frame[12:14] != b"\x08\x00":
        continue
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or socket.inet_ntoa(ip[16:20]) != dst:
        continue
    udp = ip[ihl:]
    if int.from_bytes(udp[2:4], "big") == 7700:
        payload = bytes(udp[8:])
if payload is None:
    sys.exit("no control message from gw1's agent seen in 3 s")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(payload, (dst, 7700))
forged = bytearray(payload)
forged[50] ^= 0xFF
for _ in range(4):
    s.sendto(bytes(forged), (dst, 7700))
for _ in range(5):
    s.sendto(b"BCTL\x01", (dst, 7700))
PY
sleep 0.4  # metrics refresh every 250 ms
mac_after=$(metric "$a" "$port" 'baton_control_dropped_total{reason="bad-mac"}')
trunc_after=$(metric "$a" "$port" 'baton_control_dropped_total{reason="truncated"}')
replay_after=$(metric "$a" "$port" 'baton_control_dropped_total{reason="replayed"}')
if ((mac_after - mac_before >= 4)); then pass "forged messages counted as bad-mac (+$((mac_after - mac_before)))"; else fail "bad-mac counter $mac_before -> $mac_after"; fi
if ((trunc_after - trunc_before >= 5)); then pass "truncated messages counted (+$((trunc_after - trunc_before)))"; else fail "truncated counter $trunc_before -> $trunc_after"; fi
if ((replay_after - replay_before >= 3)); then pass "replayed heartbeats counted (+$((replay_after - replay_before)))"; else fail "replayed counter $replay_before -> $replay_after"; fi
[[ $(status_json "$a" | jq -r .generation) == "$gen_before" ]] && pass "bad messages changed no table" || fail "table generation moved after bad messages"
[[ $(members_json "$a" | jq -c '[.members[] | .state]') == "$states_before" ]] && pass "bad messages changed no member state" || fail "member states changed after bad messages"

# 3. clusterXL_admin down -p survives the agent's and the orchestrator's restarts.
down_persistent() { [[ $(member_field "$1" gw2 '.state + " " + (.admin.persistent|tostring)') == "down true" ]]; }
clusterxl_in gw2 down -p >/dev/null
eventually 2 "clusterXL_admin down -p: gw2 is down (persistent) on the active" down_persistent "$a"
[[ $(member_field "$a" gw2 .buckets) == 0 ]] && pass "gw2 holds no buckets" || fail "gw2 still holds buckets"
stop_proc agent-gw2 KILL
start_agent gw2
sleep 1
eventually 5 "after its agent restarts, gw2 is still down (persistent)" down_persistent "$a"
stop_proc "batond-$a" KILL
sleep 0.5
start_batond "$a"
eventually 10 "after batond on $a restarts, it sees gw2 down (persistent)" down_persistent "$a"
eventually 5 "and so does $standby" down_persistent "$standby"
clusterxl_in gw2 up -p >/dev/null
eventually 3 "clusterXL_admin up -p: gw2 is active again" \
  bash -c "[[ \$(ip netns exec ${LAB_P}$standby $(bin batonctl) --socket $LAB_RUN/$standby/batond.sock show members -o json | jq -r '(.result // .).members[] | select(.name==\"gw2\") | .state') == active ]]"

# 4. A member dies: detected, its buckets move to the others.
a=$(active)
total=$(batonctl_in "$a" show distribution -o json | jq -r '(.result // .).buckets')
stop_proc agent-gw3 KILL
for ifn in ext int hs; do ip -n "${LAB_P}gw3" link set "$ifn" down; done
eventually 2 "gw3's death is detected (failed)" bash -c "[[ \$(ip netns exec ${LAB_P}$a $(bin batonctl) --socket $LAB_RUN/$a/batond.sock show members -o json | jq -r '(.result // .).members[] | select(.name==\"gw3\") | .state') == failed ]]"
dist=$(batonctl_in "$a" show distribution -o json | jq -c '.result // .')
g3=$(jq -r '.members[] | select(.name=="gw3") | .buckets' <<<"$dist")
sum=$(jq -r '[.members[] | select(.name!="gw3") | .buckets] | add' <<<"$dist")
if [[ $g3 == 0 && $sum == "$total" ]]; then pass "gw3's buckets moved to the others ($sum of $total)"; else fail "after gw3 failed: gw3 $g3 buckets, others $sum of $total"; fi
[[ $(jq -r '.failed | index("gw3") != null' <<<"$dist") == true ]] && pass "gw3 listed as failed in the distribution" || fail "gw3 not in the failed list"

# 5. batonctl flow: a live connection is on its owner and its successor.
a=$(active)
nsx server python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7111)); s.listen(1); c, _ = s.accept(); c.recv(16); time.sleep(8)" &
srv=$!
sleep 0.3
nsx client python3 -c "
import socket, time
s = socket.socket(); s.bind(('10.0.1.10', 40777)); s.connect(('203.0.113.10', 7111))
s.send(b'hello'); time.sleep(8)" &
cli=$!
flow_ok() {
  local out
  out=$(batonctl_in "$a" flow tcp 10.0.1.10:40777 203.0.113.10:7111 -o json) || return 1
  [[ $(jq -r '[.answers.members[] | .answer] | length == 2 and all(. == "held")' <<<"$out") == true ]] &&
    [[ $(jq -r '[.answers.members[] | .state] | all(. == "ESTABLISHED")' <<<"$out") == true ]]
}
eventually 5 "batonctl flow: the owner and the successor both hold a live connection" flow_ok
none=$(batonctl_in "$a" flow tcp 10.0.1.10:40778 203.0.113.10:7111 -o json || true)
[[ $(jq -r '[.answers.members[] | .answer] | length > 0 and all(. == "not held")' <<<"$none") == true ]] &&
  pass "batonctl flow: a connection that does not exist is held by nobody" ||
  fail "batonctl flow on a missing connection: $none"
bad=$(batonctl_in "$a" flow tcp 10.0.1.10 203.0.113.10:7111 2>&1 || true)
[[ $bad == *'source "10.0.1.10" needs a port'* ]] && pass "batonctl flow names bad input" ||
  fail "batonctl flow on bad input said: $bad"
kill "$srv" "$cli" 2>/dev/null || true

if ((failures > 0)); then
  echo "---- logs"
  for f in "$LAB_RUN"/logs/*.log; do echo "== $f"; tail -n 15 "$f"; done
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
