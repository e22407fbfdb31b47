#!/usr/bin/python3
"""VRRP failover benchmark: baton-vrrpd against keepalived, side by side, in one run.

Topology (network namespaces, every name carries a per-run prefix, all removed at the end):
  a (10.0.0.1) and b (10.0.0.2): the two routers, each with a UDP echo bound to the VIP
  c (10.0.0.10): the client, sending a sequenced UDP stream at --rate to VIP 10.0.0.100
  all three on bridge br0 in namespace sw; a <-> b also on a direct "sync" link.

For each implementation and each scenario, --trials times: start with a as master, let the
stream run, inject the failure at 0.4 s, measure the client's longest gap between two echoes
and the datagrams never answered, restore.

Scenarios: kill (kill -9 of every process in the master's namespace, its daemon and echo:
the host is gone for the traffic, though its kernel still holds the addresses), linkdown (the master's segment interface goes down), planned (baton: SIGUSR1,
priority 0; keepalived: SIGTERM, which sends priority 0 before exiting).

Implementations: baton (heartbeat 1 ms x 3 on the sync link), baton-rfc (no heartbeat:
plain RFC 5798 timers), keepalived (VRRPv3, advert_int 0.01, use_vmac). All at 10 ms adverts.
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VIP = "10.0.0.100"
PORT = 9000
PY = "/usr/bin/python3"


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"`{cmd}` failed: {r.stdout}{r.stderr}")
    return r.stdout


class Lab:
    def __init__(self, vrrpd):
        self.prefix = "bt%06x" % random.getrandbits(24)
        self.dir = tempfile.mkdtemp(prefix=self.prefix + "-")
        self.vrrpd = vrrpd
        self.procs = {}

    def ns(self, n):
        return f"{self.prefix}-{n}"

    def ex(self, n, cmd, check=True):
        return sh(f"ip netns exec {self.ns(n)} sh -c '{cmd}'", check)

    def build(self):
        for n in ("sw", "a", "b", "c"):
            sh(f"ip netns add {self.ns(n)}")
            self.ex(n, "ip link set lo up")
        self.ex("sw", "ip link add br0 type bridge stp_state 0 forward_delay 0 && ip link set br0 up")
        for n, addr in (("a", "10.0.0.1/24"), ("b", "10.0.0.2/24"), ("c", "10.0.0.10/24")):
            sh(f"ip link add eth0 netns {self.ns(n)} type veth peer name p{n} netns {self.ns('sw')}")
            self.ex("sw", f"ip link set p{n} master br0 && ip link set p{n} up")
            self.ex(n, f"ip link set eth0 up && ip addr add {addr} dev eth0")
        sh(f"ip link add sync netns {self.ns('a')} type veth peer name sync netns {self.ns('b')}")
        self.ex("a", "ip addr add 10.9.0.1/24 dev sync && ip link set sync up")
        self.ex("b", "ip addr add 10.9.0.2/24 dev sync && ip link set sync up")

    def spawn(self, key, n, argv):
        log = open(os.path.join(self.dir, key + ".log"), "a")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(n)] + argv, stdout=log, stderr=log,
                             stdin=subprocess.DEVNULL)
        self.procs[key] = p
        return p

    def kill(self, key, sig=signal.SIGKILL):
        p = self.procs.get(key)
        if p and p.poll() is None:
            p.send_signal(sig)
            if sig == signal.SIGKILL:
                p.wait()

    def teardown(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        for n in ("a", "b", "c", "sw"):
            sh(f"for p in $(ip netns pids {self.ns(n)}); do kill -9 $p; done", check=False)
            sh(f"ip netns del {self.ns(n)}", check=False)

    def holds_vip(self, n):
        return f" {VIP}/" in self.ex(n, "ip -4 -o addr show", check=False)


class Baton:
    def __init__(self, lab, heartbeat):
        self.lab, self.heartbeat = lab, heartbeat
        self.name = "baton" if heartbeat else "baton-rfc"

    def start(self, n):
        prio = 150 if n == "a" else 100
        me, peer = ("10.9.0.1", "10.9.0.2") if n == "a" else ("10.9.0.2", "10.9.0.1")
        argv = [self.lab.vrrpd, "-i", "eth0", "--vrid", "51", "--priority", str(prio),
                "--advert-interval", "10ms", "--vip", VIP + "/24", "--realtime",
                "--status-file", os.path.join(self.lab.dir, f"baton-{n}.json")]
        if self.heartbeat:
            argv += ["--heartbeat-local", me + ":7405", "--heartbeat-peer", peer + ":7405"]
        self.lab.spawn("vrrp-" + n, n, argv)

    def planned(self, n):
        self.lab.kill("vrrp-" + n, signal.SIGUSR1)

    def after_planned(self, n):
        self.lab.kill("vrrp-" + n, signal.SIGUSR2)  # withdraw: a preempts back

    def cleanup(self, n):
        self.lab.ex(n, "ip link del vrrp.51 2>/dev/null; true", check=False)


class Keepalived:
    name = "keepalived"

    def __init__(self, lab):
        self.lab = lab

    def start(self, n):
        prio = 150 if n == "a" else 100
        base = os.path.join(self.lab.dir, f"ka-{n}")
        for suffix in (".pid", ".vrrp.pid", ".chk.pid"):  # a killed run leaves them behind
            if os.path.exists(base + suffix):
                os.unlink(base + suffix)
        with open(base + ".conf", "w") as f:
            f.write(f"""global_defs {{
  router_id ka_{n}
  vrrp_version 3
  vrrp_rt_priority 50
  vrrp_rlimit_rttime 5000000
}}
vrrp_instance VI_51 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority {prio}
  advert_int 0.01
  use_vmac vrrp.51
  virtual_ipaddress {{
    {VIP}/24
  }}
}}
""")
        self.lab.spawn("vrrp-" + n, n, ["/usr/sbin/keepalived", "-n", "-l", "-D", "-f",
                                        base + ".conf", "-p", base + ".pid", "-r",
                                        base + ".vrrp.pid", "-c", base + ".chk.pid"])

    def planned(self, n):
        self.lab.kill("vrrp-" + n, signal.SIGTERM)  # keepalived resigns (priority 0) on exit

    def after_planned(self, n):
        self.lab.procs["vrrp-" + n].wait()
        self.start(n)

    def cleanup(self, n):
        self.lab.ex(n, f"ip addr del {VIP}/24 dev eth0 2>/dev/null; ip link del vrrp.51 2>/dev/null; true",
                    check=False)


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def settle(lab):
    """a master (VIP on a only) and echoes answering."""
    return wait_for(lambda: lab.holds_vip("a") and not lab.holds_vip("b"), 10)


def start_echo(lab, n):
    # Real-time like the daemons, so a busy machine delays neither side of the measurement.
    lab.spawn("echo-" + n, n, ["chrt", "-f", "40", PY, os.path.join(HERE, "udp_echo.py"), VIP, str(PORT)])


def trial(lab, impl, scenario, rate, duration):
    client = subprocess.Popen(
        ["ip", "netns", "exec", lab.ns("c"), "chrt", "-f", "40", PY,
         os.path.join(HERE, "failover_client.py"),
         VIP, str(PORT), str(rate), str(duration)], stdout=subprocess.PIPE, text=True)
    time.sleep(0.4)
    if scenario == "kill":
        # The host dies: every process in a at once (keepalived's VRRP child included, which
        # would otherwise resign gracefully when its parent dies).
        sh("kill -9 $(ip netns pids %s)" % lab.ns("a"), check=False)
        lab.kill("vrrp-a")
        lab.kill("echo-a")
    elif scenario == "linkdown":
        lab.ex("a", "ip link set eth0 down")
    else:
        impl.planned("a")
    out, _ = client.communicate()
    result = json.loads(out.strip().splitlines()[-1])
    result["took_over"] = lab.holds_vip("b")
    # Restore: a master again.
    if scenario == "kill":
        impl.cleanup("a")
        start_echo(lab, "a")
        impl.start("a")
    elif scenario == "linkdown":
        lab.ex("a", "ip link set eth0 up")
    else:
        impl.after_planned("a")
    if not settle(lab):
        raise RuntimeError(f"{impl.name}/{scenario}: a did not become master again; logs in {lab.dir}")
    time.sleep(0.3)
    return result


def summarize(results):
    gaps = [r["max_gap_ms"] for r in results]
    lost = [r["lost"] for r in results]
    return {"trials": len(results), "gap_median_ms": round(statistics.median(gaps), 2),
            "gap_max_ms": round(max(gaps), 2), "lost_median": statistics.median(lost),
            "lost_max": max(lost), "takeovers": sum(1 for r in results if r["took_over"])}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vrrpd", required=True, help="path to baton-vrrpd")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--rate", type=float, default=1000, help="client datagrams per second")
    ap.add_argument("--duration", type=float, default=1.0, help="seconds of stream per trial")
    ap.add_argument("--impls", default="baton,baton-rfc,keepalived")
    ap.add_argument("--scenarios", default="kill,linkdown,planned")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("failover_bench: needs root (network namespaces)")
    for tool in ("/usr/sbin/keepalived", args.vrrpd):
        if not os.access(tool, os.X_OK):
            sys.exit(f"failover_bench: {tool} is missing")
    lab = Lab(os.path.abspath(args.vrrpd))
    report = {"rate_hz": args.rate, "advert_interval_ms": 10, "trials": args.trials, "results": {}}
    try:
        lab.build()
        for name in args.impls.split(","):
            impl = {"baton": lambda: Baton(lab, True), "baton-rfc": lambda: Baton(lab, False),
                    "keepalived": lambda: Keepalived(lab)}[name]()
            for n in ("a", "b"):
                start_echo(lab, n)
            impl.start("a")
            impl.start("b")
            if not settle(lab):
                raise RuntimeError(f"{name}: no master elected; logs in {lab.dir}")
            time.sleep(0.5)
            for scenario in args.scenarios.split(","):
                rs = [trial(lab, impl, scenario, args.rate, args.duration) for _ in range(args.trials)]
                report["results"].setdefault(name, {})[scenario] = dict(summarize(rs), raw=rs)
                if not args.json:
                    s = report["results"][name][scenario]
                    print(f"{name:11s} {scenario:9s} gap median {s['gap_median_ms']:7.2f} ms  "
                          f"max {s['gap_max_ms']:7.2f} ms  lost median {s['lost_median']:5} "
                          f"max {s['lost_max']:4}  takeovers {s['takeovers']}/{s['trials']}",
                          flush=True)
            for key in ("vrrp-a", "vrrp-b", "echo-a", "echo-b"):
                lab.kill(key)
            impl.cleanup("a")
            impl.cleanup("b")
    finally:
        lab.teardown()
    res = report["results"]
    ratios = {}
    if "baton" in res and "keepalived" in res:
        for sc in res["baton"]:
            if sc in res["keepalived"] and res["baton"][sc]["gap_median_ms"] > 0:
                ratios[sc] = round(res["keepalived"][sc]["gap_median_ms"] / res["baton"][sc]["gap_median_ms"], 2)
    report["keepalived_over_baton_median_gap"] = ratios
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for sc, r in ratios.items():
            print(f"ratio keepalived/baton median gap, {sc}: {r}")


if __name__ == "__main__":
    main()
