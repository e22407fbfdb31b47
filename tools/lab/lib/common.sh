# shellcheck shell=bash disable=SC2034  # globals shared between the sourced files
# baton-lab: shared helpers (logging, run prefix and directory, binaries, namespaces).
# Sourced by tools/lab/baton-lab; not a program of its own.

LAB_VERBOSE=${LAB_VERBOSE:-0}

log() { printf 'baton-lab: %s\n' "$*" >&2; }
vlog() { if [[ $LAB_VERBOSE == 1 ]]; then log "$@"; fi; }
die() { printf 'baton-lab: error: %s\n' "$*" >&2; exit 1; }

# The repository root (tools/lab/lib/../../..).
LAB_REPO=$(cd "$LAB_LIB/../../.." && pwd)

# --- run prefix and run directory --------------------------------------------------------

# Where run directories live: /run/baton-lab, or /tmp/baton-lab if /run is not writable.
lab_base() {
  if mkdir -p /run/baton-lab 2>/dev/null && [[ -w /run/baton-lab ]]; then
    echo /run/baton-lab
  else
    mkdir -p /tmp/baton-lab
    echo /tmp/baton-lab
  fi
}

# A fresh prefix "bl<4 hex>-" that no namespace and no run directory uses yet.
new_prefix() {
  local p base
  base=$(lab_base)
  for _ in $(seq 1 50); do
    p="bl$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')-"
    if [[ ! -e $base/$p ]] && ! ip netns list | grep -q "^${p}"; then
      echo "$p"
      return 0
    fi
  done
  die "could not find a free run prefix"
}

valid_prefix() { [[ $1 =~ ^bl[0-9a-f]{4}-$ ]]; }

# Finds the run directory of prefix $1 (either base); empty if none.
run_dir_of() {
  local d
  for d in /run/baton-lab /tmp/baton-lab; do
    if [[ -d $d/$1 ]]; then echo "$d/$1"; return 0; fi
  done
  return 0
}

# --- namespaces ---------------------------------------------------------------------------

# LAB_P (prefix) and LAB_RUN (run directory) are set by the command that runs.
ns() { echo "${LAB_P}$1"; }
# nsx NODE CMD...: run CMD inside node NODE's namespace.
nsx() { local n=$1; shift; ip netns exec "${LAB_P}$n" "$@"; }

# --- binaries ------------------------------------------------------------------------------

LAB_BUILD=${LAB_BUILD:-$LAB_REPO/build}

set_build() {
  [[ -n $1 && -d $1 ]] || die "--build '$1': no such directory"
  LAB_BUILD=$(cd "$1" && pwd)
}

# Path of binary $1: the build directory (where CMake puts it), then PATH. Dies naming it.
bin() {
  local name=$1 f
  for f in "$LAB_BUILD/src/$name" "$LAB_BUILD"/src/*/"$name" "$LAB_BUILD/$name" "$LAB_BUILD/bin/$name"; do
    if [[ -x $f && -f $f ]]; then echo "$f"; return 0; fi
  done
  if f=$(command -v "$name" 2>/dev/null); then echo "$f"; return 0; fi
  die "binary '$name' not found: not in build dir $LAB_BUILD (src/*/$name) nor in PATH; build it (cmake --build $LAB_BUILD --target $name) or pass --build DIR"
}

# Checks every binary up front so a missing one fails before the lab is built.
need_bins() {
  local b
  for b in "$@"; do bin "$b" >/dev/null; done
}

need_tools() {
  local t
  for t in ip nft ethtool jq python3 sysctl nsenter setsid; do
    command -v "$t" >/dev/null || die "tool '$t' is required (not in PATH)"
  done
  [[ $(id -u) == 0 ]] || die "must run as root (network namespaces)"
}

# --- processes -----------------------------------------------------------------------------

# start_in NODE NAME CMD...: starts CMD in NODE's namespace in the background, logging to
# $LAB_RUN/logs/NAME.log, and records its pid in $LAB_RUN/pids/NAME.pid.
start_in() {
  local node=$1 name=$2; shift 2
  mkdir -p "$LAB_RUN/logs" "$LAB_RUN/pids"
  # setsid: the process (ip netns exec execs into CMD, so $! is CMD itself) outlives this
  # script for `up`, and a Ctrl-C on the terminal reaches only the script, which tears down.
  setsid ip netns exec "${LAB_P}$node" "$@" >>"$LAB_RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$LAB_RUN/pids/$name.pid"
  disown $!  # no "Killed" job notices when the drill kills it
  vlog "started $name (pid $!) in $node: $*"
}

# start_in_netns NODE NAME CMD...: as start_in, but entering only the network namespace
# (nsenter --net), not the private mount namespace `ip netns exec` makes. batond needs this:
# `ip netns exec` mounts a fresh /sys for the namespace, which hides the host's BPF
# filesystem at /sys/fs/bpf, so batond's pins would land in a private bpffs that dies with
# it, and a restarted batond could not take over the live table. /proc/sys/net still
# follows the network namespace; /sys/class/net does not (batond does not read it).
start_in_netns() {
  local node=$1 name=$2; shift 2
  mkdir -p "$LAB_RUN/logs" "$LAB_RUN/pids"
  setsid nsenter --net="/run/netns/${LAB_P}$node" -- "$@" >>"$LAB_RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$LAB_RUN/pids/$name.pid"
  disown $!
  vlog "started $name (pid $!) in $node's network namespace: $*"
}

pid_of() { local f=$LAB_RUN/pids/$1.pid; [[ -f $f ]] && cat "$f"; }

alive() { local p; p=$(pid_of "$1") && [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }

# stop_proc NAME [SIGNAL]: signals the recorded pid, waits up to 3 s, then SIGKILL.
stop_proc() {
  local name=$1 sig=${2:-TERM} p
  p=$(pid_of "$name") || return 0
  [[ -n $p ]] || return 0
  kill -"$sig" "$p" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null || true
  rm -f "$LAB_RUN/pids/$name.pid"
}

# last_log NAME [N]: the last N lines of a process's log, indented.
last_log() {
  local f=$LAB_RUN/logs/$1.log
  if [[ -s $f ]]; then tail -n "${2:-15}" "$f" | sed 's/^/    /'; else echo "    (no log output: $f)"; fi
}

# now_ms: monotonic-ish wall clock in milliseconds.
now_ms() { date +%s%3N; }

# python3 for the probe's control socket and raw packets (the system one starts fastest).
LAB_PY=/usr/bin/python3
[[ -x $LAB_PY ]] || LAB_PY=python3
