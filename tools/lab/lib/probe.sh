# shellcheck shell=bash disable=SC2034  # globals shared between the sourced files
# baton-lab: baton-probe (src/probe) between client and server, and its control socket.

probe_server_start() {
  start_in server probe-server "$(bin baton-probe)" server --port "$LAB_PROBE_PORT"
  sleep 0.2
  alive probe-server || { last_log probe-server >&2; die "baton-probe server did not start"; }
}

# probe_client_start TCP UDP_RATE: the client runs until `stop`; its final JSON report goes
# to $LAB_RUN/probe/report.json.
probe_client_start() {
  local tcp=$1 rate=$2 sock=$LAB_RUN/probe/ctl.sock start
  mkdir -p "$LAB_RUN/probe" "$LAB_RUN/logs" "$LAB_RUN/pids"
  rm -f "$sock"
  setsid ip netns exec "$(ns client)" "$(bin baton-probe)" client --server 203.0.113.10 \
    --port "$LAB_PROBE_PORT" --tcp "$tcp" --udp-rate "$rate" --control "$sock" --json \
    >"$LAB_RUN/probe/report.json" 2>>"$LAB_RUN/logs/probe-client.log" </dev/null &
  echo $! >"$LAB_RUN/pids/probe-client.pid"
  disown $!
  start=$(now_ms)
  until [[ -S $sock ]]; do
    if ! alive probe-client || (($(now_ms) - start > 15000)); then
      { echo "baton-probe client did not come up (its log):"; last_log probe-client; } >&2
      return 1
    fi
    sleep 0.1
  done
}

# probe_ctl LINE: sends one line to the client's control socket, prints the answer.
probe_ctl() {
  "$LAB_PY" - "$LAB_RUN/probe/ctl.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}

probe_mark() {
  local r
  r=$(probe_ctl "mark $1") || die "probe: mark '$1' failed"
  [[ $r == ok* ]] || die "probe: mark '$1': $r"
}

# probe_stop: stops the client and waits for its final report (report.json).
probe_stop() {
  local p
  probe_ctl stop >/dev/null 2>&1 || true
  p=$(pid_of probe-client) || true
  if [[ -n ${p:-} ]]; then
    for _ in $(seq 1 100); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$LAB_RUN/pids/probe-client.pid"
  jq -e '.windows' "$LAB_RUN/probe/report.json" >/dev/null 2>&1 || {
    { echo "baton-probe client gave no report (its log):"; last_log probe-client; } >&2
    return 1
  }
}
