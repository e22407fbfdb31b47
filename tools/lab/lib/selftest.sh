# shellcheck shell=bash disable=SC2034  # globals shared between the sourced files
# baton-lab selftest: proves the topology without the daemons. A static stand-in for the
# orchestrator (the virtual addresses put on oa by hand, policy routes that send every
# connection through gw1) carries baton-probe traffic client -> server; gw1's nftables
# counters must show the connections, a bare TCP ACK must be dropped there, and no other
# member may see any of it. The lab is torn down afterwards.

# counter GW NAME: packets of named counter NAME in GW's table inet gw.
counter() {
  nsx "$1" nft -j list counter inet gw "$2" | jq '[.nftables[] | select(.counter) | .counter.packets][0]'
}

static_orchestrator_on_oa() {
  local o=oa
  ip -n "$(ns $o)" addr add 198.51.100.1/24 dev ext
  ip -n "$(ns $o)" addr add 203.0.113.1/24 dev int
  ip -n "$(ns $o)" addr add 10.1.0.1/24 dev dlext
  ip -n "$(ns $o)" addr add 10.2.0.1/24 dev dlint
  # What the XDP program would do, for one member: uplink traffic goes to gw1.
  ip -n "$(ns $o)" route add 203.0.113.0/24 via "$(gw_addr gw1 ext bare)" dev dlext table 100
  ip -n "$(ns $o)" rule add iif ext table 100 pref 100
  ip -n "$(ns $o)" route add 10.0.1.0/24 via "$(gw_addr gw1 int bare)" dev dlint table 101
  ip -n "$(ns $o)" rule add iif int table 101 pref 101
}

# A TCP segment with only ACK set, client -> server:7007: not part of any connection, so
# gw1 must drop it (a new connection has to start with a SYN).
send_bare_ack() {
  nsx client "$LAB_PY" - <<'PY'
import socket, struct
src, dst = "10.0.1.10", "203.0.113.10"
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
for sport in (40001, 40002, 40003):
    hdr = struct.pack("!HHIIBBHHH", sport, 7007, 1000, 2000, 5 << 4, 0x10, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
    c = csum(pseudo + hdr)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.sendto(hdr, (dst, 0))
PY
}

selftest_run() {
  local report ok=1 g n tcp_new est dropped0 dropped1
  static_orchestrator_on_oa
  probe_server_start
  log "selftest: static orchestrator on oa, every connection through gw1; probing 3 s"
  report=$(timeout 20 ip netns exec "$(ns client)" "$(bin baton-probe)" client \
    --server 203.0.113.10 --port "$LAB_PROBE_PORT" --tcp 4 --udp-rate 500 --duration 3 --json \
    2>>"$LAB_RUN/logs/probe-client.log") || {
    last_log probe-client >&2
    log "selftest: FAIL: baton-probe client failed"
    return 1
  }
  echo "$report" | jq -r '.windows[] | "  probe window \(.name): udp sent \(.udp_sent) received \(.udp_received) lost \(.lost_packets), gap \(.gap_ms) ms, tcp \(.tcp_connections) broken \(.broken_connections), max stall \(.max_tcp_stall_ms) ms"'
  [[ $(echo "$report" | jq '[.windows[].broken_connections] | add') == 0 ]] || { log "selftest: FAIL: TCP connections broke"; ok=0; }
  [[ $(echo "$report" | jq '[.windows[].udp_received] | add') -gt 0 ]] || { log "selftest: FAIL: no UDP echo came back"; ok=0; }
  [[ $(echo "$report" | jq '.windows[0].tcp_connections') == 4 ]] || { log "selftest: FAIL: TCP connections did not all open"; ok=0; }

  tcp_new=$(counter gw1 tcp_new); est=$(counter gw1 established)
  echo "  gw1 nftables: tcp_new $tcp_new, established $est, udp_new $(counter gw1 udp_new)"
  ((tcp_new >= 4)) || { log "selftest: FAIL: gw1 accepted $tcp_new new TCP connections, expected >= 4"; ok=0; }
  ((est > 100)) || { log "selftest: FAIL: gw1 forwarded only $est established packets"; ok=0; }

  dropped0=$(counter gw1 dropped)
  send_bare_ack
  sleep 0.3
  dropped1=$(counter gw1 dropped)
  echo "  gw1 nftables: dropped $dropped0 -> $dropped1 after 3 bare TCP ACKs"
  ((dropped1 - dropped0 >= 3)) || { log "selftest: FAIL: gw1 did not drop the bare ACKs"; ok=0; }

  for g in gw2 gw3 gw4 gw5; do
    n=$(($(counter "$g" established) + $(counter "$g" tcp_new) + $(counter "$g" dropped)))
    ((n == 0)) || { log "selftest: FAIL: $g saw $n packets"; ok=0; }
  done
  if ((ok)); then log "selftest: PASS"; return 0; fi
  return 1
}
