# shellcheck shell=bash disable=SC2034  # globals shared between the sourced files
# baton-lab: starting the daemons and asking them how they are (docs/api.md).

LAB_DAEMON_BINS=(batond baton-agent batonctl clusterXL_admin)

start_batond() {
  local o=$1
  rm -f "$LAB_RUN/$o/batond.sock"
  start_in_netns "$o" "batond-$o" "$(bin batond)" --config "$LAB_RUN/$o/batond.yaml"
}

start_agent() {
  local g=$1
  rm -f "$LAB_RUN/$g/agent.sock"
  start_in "$g" "agent-$g" "$(bin baton-agent)" --config "$LAB_RUN/$g/agent.yaml"
}

# batond --check on both configs: a config batond refuses stops the lab before anything runs.
check_configs() {
  local o out
  for o in oa ob; do
    out=$(nsx "$o" "$(bin batond)" --config "$LAB_RUN/$o/batond.yaml" --check 2>&1) ||
      die "batond refuses $LAB_RUN/$o/batond.yaml: $out"
  done
}

start_daemons() {
  local o g
  check_configs
  for o in oa ob; do start_batond "$o"; done
  for g in "${LAB_GWS[@]}"; do start_agent "$g"; done
}

# batonctl ORCH ARGS...: batonctl against orchestrator ORCH's socket, inside its namespace.
batonctl_in() {
  local o=$1; shift
  nsx "$o" "$(bin batonctl)" --socket "$LAB_RUN/$o/batond.sock" "$@"
}

# clusterxl_in GW ARGS...: clusterXL_admin on member GW.
clusterxl_in() {
  local g=$1; shift
  nsx "$g" "$(bin clusterXL_admin)" "$@" --reason "baton-lab drill" --socket "$LAB_RUN/$g/agent.sock"
}

# status_json ORCH: `show status` as JSON (the result object), or nothing if it does not answer.
status_json() {
  local out ctl
  ctl=$(bin batonctl)
  out=$(timeout 2 ip netns exec "${LAB_P}$1" "$ctl" --socket "$LAB_RUN/$1/batond.sock" \
    show status -o json 2>/dev/null) || return 0
  jq -c '.result // .' <<<"$out" 2>/dev/null || true
}

# role_of ORCH: active|standby|starting|... or "down" if it does not answer.
role_of() {
  local s
  s=$(status_json "$1")
  if [[ -z $s ]]; then echo down; return; fi
  jq -r '.role // "unknown"' <<<"$s"
}

# active_orch: oa, ob, none, or "oa+ob" (both claim it).
active_orch() {
  local a=()
  [[ $(role_of oa) == active ]] && a+=(oa)
  [[ $(role_of ob) == active ]] && a+=(ob)
  if ((${#a[@]} == 0)); then echo none; else (IFS=+; echo "${a[*]}"); fi
}

# One line per orchestrator for messages.
status_summary() {
  local o s
  for o in oa ob; do
    s=$(status_json "$o")
    if [[ -z $s ]]; then
      echo "  $o: no answer on $LAB_RUN/$o/batond.sock ($(alive "batond-$o" && echo running || echo 'not running'))"
    else
      echo "  $o: $(jq -r '"role \(.role), vrrp \(.vrrp_state), generation \(.generation), members active \(.members.active)/\(.members.total), failed \(.members.failed), down \(.members.down), peer \(.peer.state)"' <<<"$s")"
    fi
  done
}

# ready MEMBERS: exactly one orchestrator active, the other standby, and the active one
# counts MEMBERS active members.
ready() {
  local want=$1 ra rb s
  ra=$(role_of oa); rb=$(role_of ob)
  if [[ $ra == active && $rb == standby ]]; then s=$(status_json oa)
  elif [[ $rb == active && $ra == standby ]]; then s=$(status_json ob)
  else return 1; fi
  [[ $(jq -r '.members.active' <<<"$s") == "$want" ]]
}

daemon_logs() {
  local o g
  for o in oa ob; do
    echo "  last lines of batond on $o ($LAB_RUN/logs/batond-$o.log):"
    last_log "batond-$o" 15
  done
  for g in "${LAB_GWS[@]}"; do
    if [[ -s $LAB_RUN/logs/agent-$g.log ]]; then
      echo "  last lines of baton-agent on $g ($LAB_RUN/logs/agent-$g.log):"
      last_log "agent-$g" 4
    fi
  done
}

# wait_ready MEMBERS TIMEOUT_S: waits for ready(); on timeout prints what both daemons say
# and their last log lines, and fails.
wait_ready() {
  local want=$1 timeout=$2 start
  start=$(now_ms)
  while ! ready "$want"; do
    if (($(now_ms) - start > timeout * 1000)); then
      {
        echo "baton-lab: error: after ${timeout}s the group is not ready (wanted one active and one standby orchestrator, $want members active):"
        status_summary
        daemon_logs
      } >&2
      return 1
    fi
    sleep 0.2
  done
  vlog "ready after $(($(now_ms) - start)) ms"
}

# wait_role ORCH ROLE TIMEOUT_S: waits until ORCH reports ROLE.
wait_role() {
  local o=$1 want=$2 timeout=$3 start
  start=$(now_ms)
  until [[ $(role_of "$o") == "$want" ]]; do
    if (($(now_ms) - start > timeout * 1000)); then
      {
        echo "baton-lab: error: after ${timeout}s $o does not report role $want:"
        status_summary
        daemon_logs
      } >&2
      return 1
    fi
    sleep 0.1
  done
}
