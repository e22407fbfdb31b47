#!/usr/bin/env bash
# HyperSync vs conntrackd, in one run (docs/hypersync-bench.md).
#
#   sudo bench/sync/hypersync-vs-conntrackd.sh [--n 100000] [--rounds 3] [--json] [...]
#
# Builds two pairs of network namespaces joined by a veth each (prefix hsb<pid>, removed on
# exit by a trap): one for baton's pipeline, one where conntrackd (FTFW, DisableExternalCache
# On) runs on both sides. Then runs build-bench/bench/sync/hypersync_bench (BUILD=<dir> to use
# another build; HYPERSYNC_BENCH=<path> for the program itself) with every other option passed
# through: it drives N connections into A and measures updates/s and sync lag in B for baton
# and for conntrackd, and prints the ratio. With --json, stdout is one JSON object.
#
# Exit: 0 all good; 1 baton failed its check (B's table differs) or setup failed; 3 only the
# conntrackd baseline failed (its log is shown).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${HYPERSYNC_BENCH:-${BUILD:-$root/build-bench}/bench/sync/hypersync_bench}

if [[ $(id -u) -ne 0 ]]; then echo "$0: needs root (namespaces, conntrack)" >&2; exit 1; fi
for tool in ip conntrackd; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install iproute2 conntrackd)" >&2; exit 1; }
done
[[ -x $bench ]] || { echo "$0: $bench not built (cmake -DBATON_BENCH=ON; ninja hypersync_bench)" >&2; exit 1; }

p=hsb$$
dir=$(mktemp -d "/tmp/$p.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in a b ca cb; do ip netns del "$p-$ns" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pair() {  # pair <ns a> <ns b> <if a> <if b> <addr a> <addr b>
  ip netns add "$1"; ip netns add "$2"
  ip link add "$3" netns "$1" type veth peer name "$4" netns "$2"
  ip -n "$1" addr add "$5/30" dev "$3"; ip -n "$2" addr add "$6/30" dev "$4"
  for x in "$1 $3" "$2 $4"; do set -- $x; ip -n "$1" link set lo up; ip -n "$1" link set "$2" up; done
}
pair "$p-a" "$p-b" "${p}a" "${p}b" 198.18.0.1 198.18.0.2
pair "$p-ca" "$p-cb" "${p}ca" "${p}cb" 198.18.1.1 198.18.1.2

# conntrackd: the daemon's best case for this test. DisableExternalCache On writes the peer's
# state straight into the kernel (no commit step at takeover), large netlink buffers so no
# event is lost, a kernel-side filter like baton's, the resend queue above N.
conf() {  # conf <side> <own addr> <peer addr> <interface>
  cat > "$dir/$1.conf" <<EOF
Sync {
	Mode FTFW {
		DisableExternalCache On
		ResendQueueSize 1048576
	}
	UDP {
		IPv4_address $2
		IPv4_Destination_Address $3
		Port 3780
		Interface $4
		SndSocketBuffer 33554432
		RcvSocketBuffer 33554432
		Checksum on
	}
}
General {
	Systemd off
	HashSize 262144
	HashLimit 2097152
	LogFile $dir/$1.log
	Syslog off
	LockFile $dir/$1.lock
	UNIX {
		Path $dir/$1.ctl
	}
	NetlinkBufferSize 33554432
	NetlinkBufferSizeMaxGrowth 134217728
	Filter From Kernelspace {
		Protocol Accept {
			TCP
			UDP
			ICMP
		}
		Address Ignore {
			IPv4_address 127.0.0.1
			IPv4_address $2
			IPv4_address $3
		}
	}
}
EOF
}
conf a 198.18.1.1 198.18.1.2 "${p}ca"
conf b 198.18.1.2 198.18.1.1 "${p}cb"
for side in a b; do
  ip netns exec "$p-c$side" conntrackd -C "$dir/$side.conf" > "$dir/$side.out" 2>&1 &
  pids+=($!)
done
for side in a b; do
  for _ in $(seq 50); do [[ -S $dir/$side.ctl ]] && break; sleep 0.1; done
  if [[ ! -S $dir/$side.ctl ]]; then
    echo "$0: conntrackd ($side) did not start:" >&2; cat "$dir/$side.out" "$dir/$side.log" >&2 2>/dev/null || true
    exit 1
  fi
done

rc=0
"$bench" --ns-a "$p-a" --ns-b "$p-b" --addr-a 198.18.0.1 --addr-b 198.18.0.2 \
  --ctd-ns-a "$p-ca" --ctd-ns-b "$p-cb" "$@" || rc=$?

alive=yes
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || alive=no; done
if [[ $rc -ne 0 || $alive == no ]]; then
  echo "--- conntrackd (running: $alive); warnings and errors from its logs:" >&2
  for side in a b; do
    grep -hiE 'error|warn|fail|overrun|cannot|lost|resync' "$dir/$side.out" "$dir/$side.log" 2>/dev/null \
      | tail -n 20 | sed "s/^/conntrackd $side: /" >&2 || true
  done
fi
exit "$rc"
