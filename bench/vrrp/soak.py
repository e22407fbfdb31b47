#!/usr/bin/python3
"""VRRP soak: two baton-vrrpd (10 ms adverts, 1 ms x 3 heartbeat on the sync link) left alone
while busy loops saturate every core, for --seconds (default 600). Scheduling stalls are the
first cause of false takeovers; this counts them.

Same topology as failover_bench.py (namespaces a, b, c, sw with a per-run prefix; a <-> b sync
link), a at priority 150 (master), b at 100. Nothing is injected: any state change after the
election is a false one. Measured: state transitions of each daemon, the time both held the
virtual address (sampled every --sample-ms), heartbeat peer-down verdicts and stalls, the
loops' worst lateness.

The host is tuned as docs/vrrp.md ("Busy hosts") recommends for an orchestrator: the daemons
run --realtime (SCHED_FIFO), and so do the kernel's softirq threads (ksoftirqd/N, FIFO 45 by
default; restored afterwards), which otherwise deliver the adverts and heartbeats of a busy
host many milliseconds late. `--no-realtime` and `--softirq-priority 0` leave either out, to
show what each is worth.

Prints a table (or --json); exits 0 when it measured (whatever it found), 1 when it could not
set up. test/integration/vrrp/soak_test.sh asserts on the JSON.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import failover_bench as fb  # noqa: E402  (the lab and the daemon launcher)


def status(lab, n):
    try:
        with open(os.path.join(lab.dir, f"baton-{n}.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def softirq_threads():
    out = subprocess.run(["pgrep", "-x", "ksoftirqd/[0-9]+"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def set_softirq(priority):
    """Puts ksoftirqd/N at SCHED_FIFO `priority`; returns their previous (policy, prio)."""
    saved = {}
    for pid in softirq_threads():
        saved[pid] = (os.sched_getscheduler(pid), os.sched_getparam(pid).sched_priority)
        os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(priority))
    return saved


def restore_softirq(saved):
    for pid, (policy, prio) in saved.items():
        try:
            os.sched_setscheduler(pid, policy, os.sched_param(prio))
        except OSError:
            pass


def burners(count):
    return [subprocess.Popen(["sh", "-c", "while :; do :; done"], stdin=subprocess.DEVNULL)
            for _ in range(count)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vrrpd", required=True, help="path to baton-vrrpd")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--burners", type=int, default=os.cpu_count() or 2,
                    help="busy loops (default: one per core)")
    ap.add_argument("--sample-ms", type=float, default=5)
    ap.add_argument("--no-realtime", action="store_true", help="daemons without SCHED_FIFO")
    ap.add_argument("--softirq-priority", type=int, default=45,
                    help="SCHED_FIFO priority for ksoftirqd during the soak (0: leave them alone)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    lab = fb.Lab(os.path.abspath(args.vrrpd))
    burn = []
    saved = set_softirq(args.softirq_priority) if args.softirq_priority > 0 else {}
    try:
        lab.build()
        impl = fb.Baton(lab, heartbeat=True)
        if args.no_realtime:
            orig = lab.spawn

            def spawn(key, n, argv):
                return orig(key, n, [a for a in argv if a != "--realtime"])
            lab.spawn = spawn
        impl.start("a")
        time.sleep(0.3)
        impl.start("b")
        if not fb.settle(lab):
            print(f"soak: a did not become the only master; logs in {lab.dir}", file=sys.stderr)
            return 1
        time.sleep(1)
        before = {n: status(lab, n) for n in ("a", "b")}
        if not all(before.values()):
            print(f"soak: no status files; logs in {lab.dir}", file=sys.stderr)
            return 1
        burn = burners(args.burners)
        start = time.monotonic()
        both = 0
        samples = 0
        none = 0
        while time.monotonic() - start < args.seconds:
            a, b = lab.holds_vip("a"), lab.holds_vip("b")
            samples += 1
            both += 1 if (a and b) else 0
            none += 1 if not (a or b) else 0
            time.sleep(args.sample_ms / 1000)
        elapsed = time.monotonic() - start
        for p in burn:
            p.kill()
            p.wait()
        burn = []
        after = {n: status(lab, n) for n in ("a", "b")}
        load = os.getloadavg()[0]
    finally:
        for p in burn:
            p.kill()
            p.wait()
        restore_softirq(saved)
        lab.teardown()

    def delta(n, *path):
        x, y = before[n], after[n]
        for k in path:
            x, y = x[k], y[k]
        return y - x

    out = {
        "seconds": round(elapsed, 1),
        "burners": args.burners,
        "realtime": not args.no_realtime,
        "softirq_fifo_priority": args.softirq_priority,
        "load_average_1m": round(load, 2),
        "transitions": {"a": delta("a", "counters", "transitions"),
                        "b": delta("b", "counters", "transitions")},
        "false_takeovers": delta("b", "counters", "transitions"),
        "final_state": {"a": after["a"]["state"], "b": after["b"]["state"]},
        "vip_samples": samples,
        "samples_both_hold_vip": both,
        "samples_neither_holds_vip": none,
        "heartbeat_peer_down": {"a": delta("a", "heartbeat", "peer_down"),
                                "b": delta("b", "heartbeat", "peer_down")},
        "heartbeat_stalls": {"a": delta("a", "heartbeat", "stalls"),
                             "b": delta("b", "heartbeat", "stalls")},
        "heartbeat_max_gap_us": {"a": after["a"]["heartbeat"]["max_gap_us"],
                                 "b": after["b"]["heartbeat"]["max_gap_us"]},
        "loop_max_lateness_us": {"a": after["a"]["loop"]["max_lateness_us"],
                                 "b": after["b"]["loop"]["max_lateness_us"]},
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"soak {out['seconds']} s, {args.burners} busy loops, load {out['load_average_1m']}, "
              f"daemons {'SCHED_FIFO' if out['realtime'] else 'normal priority'}, ksoftirqd "
              f"{'FIFO %d' % args.softirq_priority if args.softirq_priority else 'untouched'}")
        print(f"  false takeovers (b's transitions): {out['false_takeovers']}; a's transitions: "
              f"{out['transitions']['a']}; final a={out['final_state']['a']} b={out['final_state']['b']}")
        print(f"  VIP on both: {both} of {samples} samples; on neither: {none}")
        print(f"  heartbeat peer-down verdicts a/b: {out['heartbeat_peer_down']['a']}/"
              f"{out['heartbeat_peer_down']['b']}; stalls a/b: {out['heartbeat_stalls']['a']}/"
              f"{out['heartbeat_stalls']['b']}; max gap a/b: {out['heartbeat_max_gap_us']['a']}/"
              f"{out['heartbeat_max_gap_us']['b']} us")
        print(f"  loop max lateness a/b: {out['loop_max_lateness_us']['a']}/"
              f"{out['loop_max_lateness_us']['b']} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
