#!/usr/bin/env bash
# The one place that installs what baton needs to build, test, benchmark and run the lab.
# README, .ci/run and tools/lab all call this. Idempotent: packages already present are skipped.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  clang llvm lld libclang-rt-14-dev
  # libraries
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev
  libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libbpf-dev libelf-dev zlib1g-dev bpftool linux-libc-dev
  libmnl-dev libnetfilter-conntrack-dev libcpp-httplib-dev libsqlite3-dev
  # lab, peers and tools
  iproute2 nftables conntrack conntrackd keepalived frr bird2 iperf3 tcpdump
  python3-scapy ethtool procps psmisc jq curl util-linux
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The daemons installed as peers must not run on their own: the lab starts its own instances.
for svc in keepalived frr bird conntrackd; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
echo "install-deps: done"
