# shellcheck shell=bash disable=SC2034  # globals shared between the sourced files
# baton-lab drill: builds the lab, starts the daemons and baton-probe, then one event after
# another with a settle pause between them, each marked in the probe so that it gets its own
# window; prints what the probe measured in every window (nothing derived, nothing invented).

DRILL_SETTLE=3      # seconds after each event (--short: 1)
DRILL_TCP=32        # probe TCP connections (--short: 16)
DRILL_UDP_RATE=1000 # probe datagrams per second
DRILL_QUIET=8       # seconds of the final window with no event (--short: 6)
DRILL_JSON=""
declare -A DRILL_NOTE=()    # window name -> what happened around it
declare -A DRILL_BEFORE=()  # window name -> active orchestrator before (orchestrator events)
declare -A DRILL_AFTER=()   # window name -> active orchestrator after

# Each member's nftables "dropped" counter, taken when each window opens and when the probe
# stops: the table shows the difference per window.
DRILL_SNAPS=()
snap_drops() {
  local g v=()
  for g in "${LAB_GWS[@]}"; do v+=("$(counter "$g" dropped 2>/dev/null || echo 0)"); done
  DRILL_SNAPS+=("${v[*]}")
}

mark() {
  log "event: $1"
  snap_drops
  probe_mark "$1"
}

settle() { sleep "$DRILL_SETTLE"; }

# member_state NAME: the member's state as the active orchestrator reports it.
member_state() {
  local o a
  a=$(active_orch)
  o=${a%%+*}
  [[ $o == oa || $o == ob ]] || { echo "unknown (no active orchestrator)"; return; }
  batonctl_in "$o" show members -o json 2>/dev/null |
    jq -r --arg n "$1" '(.result // .).members[] | select(.name == $n) | .state' 2>/dev/null ||
    echo unknown
}

roles() { echo "oa $(role_of oa), ob $(role_of ob)"; }

# the_active: the one active orchestrator (waits up to 5 s for exactly one).
the_active() {
  local a
  for _ in $(seq 1 25); do
    a=$(active_orch)
    if [[ $a == oa || $a == ob ]]; then echo "$a"; return 0; fi
    sleep 0.2
  done
  echo "$a"
  return 1
}

# Ends the drill early: prints what the probe saw so far, then fails (the trap tears down).
drill_abort() {
  {
    echo "baton-lab: drill aborted: $1"
    status_summary
    daemon_logs
  } >&2
  snap_drops
  if alive probe-client && probe_stop; then
    drill_table >&2 || true
    drill_write_json "$1" || true
  fi
  exit 1
}

orch_links() {  # orch_links ORCH up|down
  local ifn
  for ifn in ext int dlext dlint sync; do ip -n "$(ns "$1")" link set dev "$ifn" "$2"; done
  # The kernel dropped the static route with the link; a host that comes back has it again.
  if [[ $2 == up ]]; then orch_routes "$1"; fi
}

ev_kill_batond() {
  local a name after role
  a=$(the_active) || drill_abort "expected one active orchestrator, found: $a ($(roles))"
  name="kill -9 batond on $a"
  DRILL_BEFORE[$name]=$a
  mark "$name"
  kill -KILL "$(pid_of "batond-$a")"
  settle
  after=$(active_orch)
  DRILL_AFTER[$name]=$after
  DRILL_NOTE[$name]="active $a -> $after"

  name="batond restarts on $a"
  DRILL_BEFORE[$name]=$after
  mark "$name"
  start_batond "$a"
  if wait_role "$a" standby 30 2>/dev/null; then role="came back as standby"
  else role="did not report standby within 30 s (now: $(role_of "$a"))"; log "warning: batond on $a $role"; fi
  settle
  DRILL_AFTER[$name]=$(active_orch)
  DRILL_NOTE[$name]="$a $role; active ${DRILL_BEFORE[$name]} -> ${DRILL_AFTER[$name]}"
  wait_ready 4 30 || drill_abort "the group did not recover after batond restarted on $a"
}

# A planned restart of the active batond (an upgrade): SIGTERM resigns (the peer takes over
# after its skew time) and leaves the XDP program forwarding; the new process comes back as
# standby.
ev_upgrade_batond() {
  local a name after pid
  a=$(the_active) || drill_abort "expected one active orchestrator, found: $a ($(roles))"
  name="upgrade: batond on $a restarted (SIGTERM)"
  DRILL_BEFORE[$name]=$a
  mark "$name"
  pid=$(pid_of "batond-$a")
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && drill_abort "batond on $a did not exit within 5 s of SIGTERM"
  start_batond "$a"
  wait_role "$a" standby 30 2>/dev/null || log "warning: batond on $a did not come back as standby"
  settle
  after=$(active_orch)
  DRILL_AFTER[$name]=$after
  DRILL_NOTE[$name]="active $a -> $after; $a back as $(role_of "$a")"
  wait_ready 4 30 || drill_abort "the group did not recover after the upgrade of batond on $a"
}

ev_host_death() {
  local a name after
  a=$(the_active) || drill_abort "expected one active orchestrator, found: $a ($(roles))"
  name="host $a dies (all links down)"
  DRILL_BEFORE[$name]=$a
  mark "$name"
  orch_links "$a" down
  settle
  after=$(active_orch)
  DRILL_AFTER[$name]=$after
  DRILL_NOTE[$name]="active $a -> $after ($(roles); $a cannot see the others)"

  name="host $a returns (links up)"
  DRILL_BEFORE[$name]=$after
  mark "$name"
  orch_links "$a" up
  settle
  wait_ready 4 30 || drill_abort "the group did not recover after host $a returned"
  DRILL_AFTER[$name]=$(active_orch)
  DRILL_NOTE[$name]="active ${DRILL_BEFORE[$name]} -> ${DRILL_AFTER[$name]}"
}

ev_switchover() {
  local a name out
  a=$(the_active) || drill_abort "expected one active orchestrator, found: $a ($(roles))"
  name="planned switchover from $a"
  DRILL_BEFORE[$name]=$a
  mark "$name"
  out=$(batonctl_in "$a" failover --reason "baton-lab drill" 2>&1) || drill_abort "batonctl failover on $a failed: $out"
  settle
  DRILL_AFTER[$name]=$(active_orch)
  DRILL_NOTE[$name]="active $a -> ${DRILL_AFTER[$name]}"
  wait_ready 4 30 || drill_abort "the group did not settle after the switchover"
}

ev_admin() {  # ev_admin GW down|up
  local g=$1 st=$2 name out want=4
  name="$g clusterXL_admin $st -p"
  [[ $st == down ]] && want=3
  mark "$name"
  out=$(clusterxl_in "$g" "$st" -p 2>&1) || drill_abort "clusterXL_admin $st -p on $g failed: $out"
  settle
  wait_ready "$want" 30 || drill_abort "after '$name' the group does not have $want active members"
  DRILL_NOTE[$name]="$g is $(member_state "$g")"
}

# member_view ORCH NAME: "state, N buckets" as ORCH reports the member.
member_view() {
  batonctl_in "$1" show members -o json 2>/dev/null |
    jq -r --arg n "$2" '(.result // .).members[] | select(.name == $n) | "\(.state), \(.buckets) buckets"' \
      2>/dev/null || echo unknown
}

# ev_spare GW add|remove: the spare into service, or back to the pool (a planned change: the
# owners of the moving buckets hand their connections over first).
ev_spare() {
  local g=$1 act=$2 a name out want o other
  a=$(the_active) || drill_abort "expected one active orchestrator, found: $a ($(roles))"
  if [[ $act == add ]]; then name="$g (spare) into service"; want=5
  else name="$g back to the spare pool"; want=4; fi
  mark "$name"
  out=$(batonctl_in "$a" member "$act" "$g" --reason "baton-lab drill" 2>&1) ||
    drill_abort "batonctl member $act $g on $a failed: $out"
  settle
  wait_ready "$want" 30 || drill_abort "after '$name' the group does not have $want active members"
  other=ob; [[ $a == ob ]] && other=oa
  o=$(member_view "$other" "$g")
  DRILL_NOTE[$name]="$g is $(member_view "$a" "$g") on the active $a; $o on the standby $other"
}

ev_member_kill() {
  local g=$1 name ifn
  name="$g dies (kill -9 agent, links down)"
  local a t0 failed_at live_at timing=""
  a=$(the_active) || a=oa
  mark "$name"
  kill -KILL "$(pid_of "agent-$g")"
  t0=$(now_ms)
  for ifn in ext int hs; do ip -n "$(ns "$g")" link set dev "$ifn" down; done
  settle
  # How long the active batond took, by its own log: to declare the member failed (and why:
  # loss of carrier on its ports, or missed heartbeats), and to have the patched table live
  # in its XDP program.
  local why
  if failed_at=$(log_ms "$LAB_RUN/logs/batond-$a.log" "member $g \\(id [0-9]+\\): [a-z]+ -> failed" "$t0") &&
    live_at=$(log_ms "$LAB_RUN/logs/batond-$a.log" "xdp: table generation [0-9]+ live" "$failed_at"); then
    why=$(grep -E "member $g \\(id [0-9]+\\): [a-z]+ -> failed" "$LAB_RUN/logs/batond-$a.log" |
      tail -1 | sed -nE 's/.*-> failed: (.*)$/\1/p')
    timing="; batond on $a: failed $((failed_at - t0)) ms after its links went down (${why:-?}), patched table live $((live_at - failed_at)) ms later"
  fi
  DRILL_NOTE[$name]="$g is $(member_state "$g")$timing"
}

# The last window: no event. Every connection that survived the events must carry data again
# (a connection whose state was lost stalls here until TCP gives up).
ev_quiet() {
  mark "quiet (no event)"
  sleep "$DRILL_QUIET"
  DRILL_NOTE["quiet (no event)"]="every live connection should deliver data here"
}

# log_ms FILE REGEX AFTER_MS: the time (ms since 1970) of the first line of a daemon log
# matching REGEX that was written at or after AFTER_MS. Log lines start with
# "2026-11-26T02:00:08.057" (local time).
log_ms() {
  local line ts
  while IFS= read -r line; do
    ts=$(date -d "$(cut -c1-23 <<<"$line" | tr T ' ')" +%s%3N 2>/dev/null) || continue
    if ((ts >= $3)); then echo "$ts"; return 0; fi
  done < <(grep -E "$2" "$1" 2>/dev/null)
  return 1
}

# The table: one row per probe window, exactly as the probe reported it.
drill_table() {
  local rep=$LAB_RUN/probe/report.json name gap lost broken stall i=0
  printf '\n%-40s %8s %9s %12s %13s %9s  %-19s  %s\n' EVENT "GAP ms" "LOST pkts" "BROKEN conns" \
    "MAX STALL ms" "TCP MOVED" "DROPS gw1..gw5" NOTE
  while IFS=$'\t' read -r name gap lost broken stall moved total; do
    printf '%-40s %8.1f %9s %12s %13.1f %9s  %-19s  %s\n' "$name" "$gap" "$lost" "$broken" "$stall" \
      "$moved/$total" "$(window_drops "$i")" "${DRILL_NOTE[$name]:-}"
    i=$((i + 1))
  done < <(jq -r '.windows[] | [.name, .gap_ms, .lost_packets, .broken_connections, .max_tcp_stall_ms, .tcp_progressed, .tcp_connections] | @tsv' "$rep")
  echo "(TCP MOVED: connections that delivered data in the window / connections alive when it opened)"
  echo
  echo "probe: $(jq -r '"\(.windows[0].tcp_connections) TCP connections, UDP \([.windows[].udp_sent] | add) sent / \([.windows[].udp_received] | add) echoed"' "$rep")"
  echo "TCP errors: $(jq -r '[.windows[].tcp_errors[]] | if length == 0 then "none" else join("; ") end' "$rep")"
}

# window_drops I: "a/b/c/d/e", packets each member dropped during window I (counter deltas).
window_drops() {
  local i=$1 a b k out=()
  if ((i + 1 >= ${#DRILL_SNAPS[@]})); then echo "-"; return; fi
  read -ra a <<<"${DRILL_SNAPS[$i]}"
  read -ra b <<<"${DRILL_SNAPS[$((i + 1))]}"
  for k in "${!a[@]}"; do out+=("$((b[k] - a[k]))"); done
  (IFS=/; echo "${out[*]}")
}

drill_drops() {
  local g out="" c
  for g in "${LAB_GWS[@]}"; do
    c=$(counter "$g" dropped 2>/dev/null || echo "?")
    out+="$g $c  "
    DRILL_DROPS+="\"$g\":${c//\?/null},"
  done
  echo "drops per member (nftables counter inet gw dropped): $out"
}

drill_write_json() {
  local aborted=${1:-} notes before after
  [[ -n $DRILL_JSON ]] || return 0
  notes=$(for k in "${!DRILL_NOTE[@]}"; do jq -n --arg k "$k" --arg v "${DRILL_NOTE[$k]}" '{($k): $v}'; done | jq -s 'add // {}')
  before=$(for k in "${!DRILL_BEFORE[@]}"; do jq -n --arg k "$k" --arg v "${DRILL_BEFORE[$k]}" '{($k): $v}'; done | jq -s 'add // {}')
  after=$(for k in "${!DRILL_AFTER[@]}"; do jq -n --arg k "$k" --arg v "${DRILL_AFTER[$k]}" '{($k): $v}'; done | jq -s 'add // {}')
  local drops="[" i=0 n
  n=$(jq '.windows | length' "$LAB_RUN/probe/report.json")
  while ((i < n)); do
    drops+="\"$(window_drops "$i")\","
    i=$((i + 1))
  done
  drops="${drops%,}]"
  jq --argjson notes "$notes" --argjson before "$before" --argjson after "$after" \
    --argjson wdrops "$drops" \
    --argjson drops "{${DRILL_DROPS%,}}" --arg aborted "$aborted" --arg prefix "$LAB_P" \
    --argjson syncloss "$DRILL_SYNC_LOSS" '
    {prefix: $prefix,
     events: [.windows | to_entries[] | .key as $i | .value
              | {name, gap_ms, lost_packets, broken_connections, max_tcp_stall_ms,
                 tcp_connections, tcp_progressed}
              + {member_drops: ($wdrops[$i] | if . == "-" then null else
                   (split("/") | map(tonumber) | [["gw1","gw2","gw3","gw4","gw5"], .]
                    | transpose | map({(.[0]): .[1]}) | add) end)}
              + (if $before[.name] then {active_before: $before[.name]} else {} end)
              + (if $after[.name] then {active_after: $after[.name]} else {} end)
              + (if $notes[.name] then {note: $notes[.name]} else {} end)],
     drops_per_member: $drops, sync_loss: $syncloss}
    + (if $aborted != "" then {aborted: $aborted} else {} end)' \
    "$LAB_RUN/probe/report.json" >"$DRILL_JSON"
  log "wrote $DRILL_JSON"
}

DRILL_DROPS=""
DRILL_SYNC_LOSS="null"

# With LAB_SYNC_LOSS: how many HyperSync frames the switch dropped.
sync_loss_report() {
  [[ -n ${LAB_SYNC_LOSS:-} && ${LAB_SYNC_LOSS} != 0 ]] || return 0
  local n
  n=$(nsx sw nft -j list counter bridge hsloss dropped 2>/dev/null |
    jq '[.nftables[] | .counter? | select(.) | .packets] | first // 0') || n=0
  echo "sync segment: ${LAB_SYNC_LOSS} % loss, $n frames dropped"
  DRILL_SYNC_LOSS="{\"percent\":${LAB_SYNC_LOSS},\"dropped\":$n}"
}

cmd_drill() {
  local keep=0
  while (($#)); do
    case $1 in
      --json) [[ $# -ge 2 ]] || die "drill: --json needs a FILE"
              DRILL_JSON=$(realpath -m "$2"); shift ;;
      --keep) keep=1 ;;
      --short) DRILL_SETTLE=1 DRILL_TCP=16 DRILL_QUIET=6 ;;
      --tcp) [[ ${2:-} =~ ^[0-9]+$ && $2 -ge 1 ]] || die "drill: --tcp needs a number of connections"
             DRILL_TCP_SET=$2; shift ;;
      --build) set_build "${2:-}"; shift ;;
      -v) LAB_VERBOSE=1 ;;
      -h|--help) usage ;;
      *) die "drill: unknown argument '$1'" ;;
    esac
    shift
  done
  if [[ -n $DRILL_JSON ]]; then
    [[ -d $(dirname "$DRILL_JSON") ]] || die "drill: --json $DRILL_JSON: no such directory"
  fi
  if [[ -n ${DRILL_TCP_SET:-} ]]; then DRILL_TCP=$DRILL_TCP_SET; fi
  need_bins "${LAB_DAEMON_BINS[@]}" baton-probe
  new_lab
  if ((keep)); then LAB_TEARDOWN=0; fi

  start_daemons
  log "waiting for one active orchestrator and ${#LAB_MEMBERS[@]} active members"
  wait_ready "${#LAB_MEMBERS[@]}" 60 || exit 1
  status_summary >&2
  probe_server_start
  snap_drops
  probe_client_start "$DRILL_TCP" "$DRILL_UDP_RATE" || exit 1
  log "probe running: $DRILL_TCP TCP connections, UDP $DRILL_UDP_RATE/s; baseline ${DRILL_SETTLE}s"
  settle

  ev_kill_batond
  ev_upgrade_batond
  ev_host_death
  ev_switchover
  ev_admin gw2 down
  ev_admin gw2 up
  ev_spare gw5 add
  ev_spare gw5 remove
  ev_member_kill gw3
  ev_quiet

  snap_drops
  probe_stop || exit 1
  drill_table
  drill_drops
  sync_loss_report
  drill_write_json
  if ((keep)); then log "--keep: the lab stays; remove it with: $0 down $LAB_P"; fi
}
