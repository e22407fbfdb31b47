# shellcheck shell=bash disable=SC2034  # globals shared between the sourced files
# baton-lab: building and removing the namespaces, bridges and veths (docs/lab.md).

LAB_MEMBERS=(gw1 gw2 gw3 gw4)
LAB_SPARES=(gw5)
LAB_GWS=(gw1 gw2 gw3 gw4 gw5)
LAB_BRIDGES=(br-ext br-int br-dlext br-dlint br-sync br-hs)
LAB_PROBE_PORT=7007

# Node and interface codes for the fixed MACs: node side 02:0a:00:00:<node>:<if>, bridge
# (sw) side 02:0b:00:00:<node>:<if>.
node_code() {
  case $1 in
    router) echo 01 ;; client) echo 02 ;; server) echo 03 ;;
    oa) echo 0a ;; ob) echo 0b ;;
    gw[1-9]) echo "1${1#gw}" ;;
    *) die "node_code: unknown node $1" ;;
  esac
}
if_code() {
  case $1 in
    ext) echo 01 ;; int) echo 02 ;; dlext) echo 03 ;; dlint) echo 04 ;; sync) echo 05 ;;
    hs) echo 06 ;; eth0) echo 07 ;; client) echo 08 ;;
    *) die "if_code: unknown interface $1" ;;
  esac
}
# mac NODE IF [sw]: the fixed MAC of NODE's interface IF (or of its bridge-side peer).
mac() {
  local hi=0a
  [[ ${3:-} == sw ]] && hi=0b
  echo "02:$hi:00:00:$(node_code "$1"):$(if_code "$2")"
}

# Address of orchestrator $1 (oa|ob) on interface $2, with /24 unless $3 = bare.
orch_addr() {
  local o=$1 ifn=$2 host
  host=2; [[ $o == ob ]] && host=3
  local a
  case $ifn in
    ext) a=198.51.100.$host ;; int) a=203.0.113.$host ;; dlext) a=10.1.0.$host ;;
    dlint) a=10.2.0.$host ;; sync) a=10.255.0.$((host - 1)) ;;
  esac
  if [[ ${3:-} == bare ]]; then echo "$a"; else echo "$a/24"; fi
}
# Address of member $1 (gwN) on $2 (ext|int|hs).
gw_addr() {
  local n=${1#gw} a
  case $2 in
    ext) a=10.1.0.1$n ;; int) a=10.2.0.1$n ;; hs) a=10.3.0.1$n ;;
  esac
  if [[ ${3:-} == bare ]]; then echo "$a"; else echo "$a/24"; fi
}

# Common per-namespace settings.
ns_base() {
  local n=$1 fwd=${2:-0}
  ip netns add "$(ns "$n")"
  ip -n "$(ns "$n")" link set lo up
  nsx "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  nsx "$n" sysctl -qw net.ipv4.ip_forward="$fwd"
}

# plug NODE IF BRIDGE [ADDR...]: a veth from NODE's interface IF to bridge BRIDGE in sw.
plug() {
  local node=$1 ifn=$2 br=$3 a; shift 3
  local swname="$node-$ifn"
  ip -n "$(ns sw)" link add name "$swname" address "$(mac "$node" "$ifn" sw)" type veth \
    peer name "$ifn" address "$(mac "$node" "$ifn")" netns "$(ns "$node")"
  ip -n "$(ns sw)" link set "$swname" master "${LAB_P}$br" up
  nsx "$node" sysctl -qw "net.ipv4.conf.$ifn.rp_filter=0"
  for a in "$@"; do ip -n "$(ns "$node")" addr add "$a" dev "$ifn"; done
  ip -n "$(ns "$node")" link set "$ifn" up
}

# The members' stateful gateway (DESIGN §1): forward policy drop, connections must begin
# with a SYN, named counters so the drill can print what each member dropped.
gw_nft() {
  nsx "$1" nft -f - <<NFT
table inet gw {
  counter established {}
  counter tcp_new {}
  counter udp_new {}
  counter echo {}
  counter dropped {}
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter name established accept
    tcp flags & (syn|ack|fin|rst) == syn ct state new counter name tcp_new accept
    udp dport $LAB_PROBE_PORT ct state new counter name udp_new accept
    icmp type echo-request counter name echo accept
    icmpv6 type echo-request counter name echo accept
    counter name dropped drop
  }
}
NFT
}

# The orchestrators' static route back to the clients.
orch_routes() { ip -n "$(ns "$1")" route replace 10.0.1.0/24 via 198.51.100.254; }

topology_up() {
  local b n o ifn

  ns_base sw 0
  nsx sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  for b in "${LAB_BRIDGES[@]}"; do
    ip -n "$(ns sw)" link add name "${LAB_P}$b" type bridge forward_delay 0 stp_state 0 \
      mcast_snooping 0
    ip -n "$(ns sw)" link set "${LAB_P}$b" up
  done

  # LAB_SYNC_LOSS=N: the switch drops N % of the frames the members send on the HyperSync
  # segment (nftables numgen; tc netem is not available everywhere).
  if [[ -n ${LAB_SYNC_LOSS:-} && ${LAB_SYNC_LOSS} != 0 ]]; then
    local ports
    ports=$(printf '"%s-hs", ' "${LAB_GWS[@]}")
    nsx sw nft -f - <<NFT
table bridge hsloss {
  counter dropped {}
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname { ${ports%, } } numgen random mod 100 < ${LAB_SYNC_LOSS} counter name dropped drop
  }
}
NFT
  fi

  # client <-> router (direct veth), router on br-ext.
  ns_base client 0
  ns_base router 1
  ip -n "$(ns router)" link add name client address "$(mac router client)" type veth \
    peer name eth0 address "$(mac client eth0)" netns "$(ns client)"
  ip -n "$(ns router)" addr add 10.0.1.1/24 dev client
  ip -n "$(ns router)" link set client up
  ip -n "$(ns client)" addr add 10.0.1.10/24 dev eth0
  ip -n "$(ns client)" link set eth0 up
  ip -n "$(ns client)" route add default via 10.0.1.1
  plug router ext br-ext 198.51.100.254/24
  ip -n "$(ns router)" route add 203.0.113.0/24 via 198.51.100.1

  # server on br-int.
  ns_base server 0
  plug server eth0 br-int 203.0.113.10/24
  ip -n "$(ns server)" route add default via 203.0.113.1

  # orchestrators.
  for o in oa ob; do
    ns_base "$o" 1
    plug "$o" ext br-ext "$(orch_addr "$o" ext)"
    plug "$o" int br-int "$(orch_addr "$o" int)"
    plug "$o" dlext br-dlext "$(orch_addr "$o" dlext)"
    plug "$o" dlint br-dlint "$(orch_addr "$o" dlint)"
    plug "$o" sync br-sync "$(orch_addr "$o" sync)"
    orch_routes "$o"
    # XDP_REDIRECT into a veth needs NAPI on its peer: GRO on the bridge-side peers.
    # (LAB_GRO=0 leaves it off, to compare.)
    if [[ ${LAB_GRO:-1} == 1 ]]; then
      for ifn in dlext dlint; do
        nsx sw ethtool -K "$o-$ifn" gro on >/dev/null
      done
    fi
  done

  # members and the spare.
  for n in "${LAB_GWS[@]}"; do
    ns_base "$n" 1
    plug "$n" ext br-dlext "$(gw_addr "$n" ext)"
    plug "$n" int br-dlint "$(gw_addr "$n" int)"
    plug "$n" hs br-hs "$(gw_addr "$n" hs)"
    ip -n "$(ns "$n")" route add default via 10.1.0.1
    ip -n "$(ns "$n")" route add 203.0.113.0/24 via 10.2.0.1
    gw_nft "$n"
  done

  # Veths hand a sender's packets over with the TCP/UDP checksum only partly computed
  # (checksum offload). An XDP redirect turns the packet into a plain frame and that state is
  # lost, so the member's conntrack would see a wrong checksum and call the flow invalid.
  # Real NICs put full checksums on the wire; make the lab's senders do the same.
  local node
  for node in client router server oa ob "${LAB_GWS[@]}"; do
    for ifn in $(ip -n "$(ns "$node")" -o link show type veth | awk -F'[ :@]+' '{print $2}'); do
      ip netns exec "$(ns "$node")" ethtool -K "$ifn" tx off >/dev/null 2>&1 || true
    done
  done
}

# Removes a run's processes and namespaces. Needs LAB_P; LAB_RUN may be empty. Never fails.
topology_down() {
  local n p f
  if [[ -n ${LAB_RUN:-} && -d $LAB_RUN/pids ]]; then
    for f in "$LAB_RUN"/pids/*.pid; do
      [[ -e $f ]] || continue
      p=$(cat "$f" 2>/dev/null || true)
      if [[ -n $p ]]; then kill -TERM "$p" 2>/dev/null || true; fi
    done
    sleep 0.3
    for f in "$LAB_RUN"/pids/*.pid; do
      [[ -e $f ]] || continue
      p=$(cat "$f" 2>/dev/null || true)
      if [[ -n $p ]]; then kill -KILL "$p" 2>/dev/null || true; fi
      rm -f "$f"
    done
  fi
  # Anything else still running inside this run's namespaces (they are ours).
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAB_P}" || true); do
    for p in $(ip netns pids "$n" 2>/dev/null || true); do
      kill -KILL "$p" 2>/dev/null || true
    done
  done
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAB_P}" || true); do
    ip netns del "$n" 2>/dev/null || true
  done
  # batond's pinned XDP program and maps (they outlive batond on purpose; the run is over).
  for n in orch-a orch-b; do
    if [[ -d /sys/fs/bpf/baton/${LAB_P%-}-$n ]]; then rm -rf "/sys/fs/bpf/baton/${LAB_P%-}-$n" 2>/dev/null || true; fi
  done
}
