#!/usr/bin/python3
"""Stand-ins for batond, baton-agent, batonctl and clusterXL_admin, to test baton-lab's own
flow (drill steps, polling, marks, table, teardown) before the daemons exist:
    baton-lab drill --short --build tools/lab/fake
They are NOT baton: the fake batond forwards every connection through gw1 with plain policy
routes, elects an active orchestrator over UDP on the sync link, and never preempts. Numbers a
drill prints with them say nothing about baton. Dispatches on the name it is called by."""
import json, os, re, signal, socket, struct, subprocess, sys, threading, time

VIPS = {"ext": "198.51.100.1/24", "int": "203.0.113.1/24", "dlext": "10.1.0.1/24", "dlint": "10.2.0.1/24"}
GW1_EXT, GW1_INT = "10.1.0.11", "10.2.0.11"


def sh(*args):
    subprocess.run(["ip", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def garp(ifname, ip):
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((ifname, 0))
        mac = s.getsockname()[4]
        a = socket.inet_aton(ip)
        frame = b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + a + b"\0" * 6 + a
        s.send(frame)
    except OSError:
        pass


class Batond:
    def __init__(self, conf):
        text = open(conf).read()
        self.prio = int(re.search(r"priority:\s*(\d+)", text).group(1))
        self.sock_path = re.search(r"socket:\s*(\S+)", text).group(1)
        self.run = os.path.dirname(re.search(r"state_dir:\s*(\S+)", text).group(1))
        self.peer = re.search(r"peer:\s*\n\s*address:\s*(\S+)", text).group(1)
        self.role, self.resigned_until, self.peer_seen, self.peer_role, self.peer_prio = "starting", 0, 0, "", 0
        self.started = time.time()
        self.lock = threading.Lock()
        self.standby_actions()
        sh("rule", "del", "pref", "100")
        sh("rule", "del", "pref", "101")
        self.last_garp = 0

    def active_actions(self):
        for i, v in VIPS.items():
            sh("addr", "add", v, "dev", i)
        self.routes()
        for _ in range(3):
            for i, v in VIPS.items():
                garp(i, v.split("/")[0])

    def routes(self):
        # Re-applied while active: the kernel drops them when a link goes down.
        sh("route", "replace", "203.0.113.0/24", "via", GW1_EXT, "dev", "dlext", "table", "100")
        sh("route", "replace", "10.0.1.0/24", "via", GW1_INT, "dev", "dlint", "table", "101")
        if "pref 100" not in subprocess.run(["ip", "rule"], capture_output=True, text=True).stdout:
            sh("rule", "add", "iif", "ext", "table", "100", "pref", "100")
            sh("rule", "add", "iif", "int", "table", "101", "pref", "101")

    def standby_actions(self):
        # Like a warm standby whose XDP program stays loaded: the forwarding through gw1
        # stays, only the addresses go.
        for i, v in VIPS.items():
            sh("addr", "del", v, "dev", i)

    def members(self):
        out = []
        for n in range(1, 5):
            g = f"gw{n}"
            admin = "up"
            try:
                admin = open(f"{self.run}/{g}/fake-admin").read().strip()
            except OSError:
                pass
            alive = False
            try:
                os.kill(int(open(f"{self.run}/pids/agent-{g}.pid").read()), 0)
                alive = True
            except (OSError, ValueError):
                pass
            state = "down" if admin == "down" else ("active" if alive else "failed")
            out.append({"name": g, "id": n, "state": state, "weight": 100, "admin": {"state": admin}})
        return out

    def answer(self, req):
        cmd = req.get("command")
        if cmd == "show" and req.get("what") == "status":
            ms = self.members()
            cnt = {k: sum(1 for m in ms if m["state"] == k) for k in ("active", "failed", "down")}
            peer_up = time.time() - self.peer_seen < 0.5
            return {"group": "sg1", "role": self.role, "generation": 1,
                    "members": {"total": 4, "spare": 1, **cnt},
                    "peer": {"state": "up" if peer_up else "down"},
                    "vrrp_state": "master" if self.role == "active" else "backup", "uptime_s": int(time.time() - self.started)}
        if cmd == "show" and req.get("what") == "members":
            return {"members": self.members()}
        if cmd == "failover":
            if self.role != "active":
                raise ValueError("not the active orchestrator")
            with self.lock:
                self.role = "standby"
                self.resigned_until = time.time() + 1.0
                self.standby_actions()
            return {"resigned": True}
        raise ValueError(f"unknown command {cmd!r}")

    def serve(self):
        try:
            os.unlink(self.sock_path)
        except OSError:
            pass
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(self.sock_path)
        srv.listen(16)
        while True:
            c, _ = srv.accept()
            try:
                data = b""
                while not data.endswith(b"\n"):
                    b = c.recv(65536)
                    if not b:
                        break
                    data += b
                try:
                    ans = {"ok": True, "result": self.answer(json.loads(data))}
                except Exception as e:  # noqa: BLE001
                    ans = {"ok": False, "error": str(e)}
                c.sendall(json.dumps(ans).encode() + b"\n")
            finally:
                c.close()

    def run_forever(self):
        threading.Thread(target=self.serve, daemon=True).start()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", 7701))
        u.setblocking(False)
        while True:
            now = time.time()
            resigned = now < self.resigned_until
            try:
                u.sendto(json.dumps({"prio": 0 if resigned else self.prio, "role": self.role}).encode(), (self.peer, 7701))
            except OSError:
                pass
            try:
                while True:
                    m = json.loads(u.recv(512))
                    self.peer_seen, self.peer_role, self.peer_prio = now, m["role"], m["prio"]
            except (BlockingIOError, OSError, ValueError):
                pass
            peer_up = now - self.peer_seen < 0.5
            with self.lock:
                old = self.role
                if self.role == "starting":
                    if now - self.started > 1.0:
                        if not peer_up or (self.peer_role != "active" and self.prio > self.peer_prio):
                            self.role = "active"
                        else:
                            self.role = "standby"
                elif self.role == "standby":
                    if not resigned and (not peer_up or self.peer_prio == 0 or
                                         (self.peer_role != "active" and self.prio > self.peer_prio)):
                        self.role = "active"
                elif self.role == "active":
                    if peer_up and self.peer_role == "active" and self.peer_prio > self.prio:
                        self.role = "standby"
                if old != self.role:
                    print(f"fake batond: {old} -> {self.role}", flush=True)
                    if self.role == "active":
                        self.active_actions()
                    elif old == "active":
                        self.standby_actions()
                if self.role == "active" and now - self.last_garp > 0.2:
                    # Stands in for VRRP adverts from the virtual MAC, which keep the
                    # switches' and routers' view of who holds the addresses current.
                    self.last_garp = now
                    self.routes()
                    for i, v in VIPS.items():
                        garp(i, v.split("/")[0])
            time.sleep(0.01)


def ask(path, req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(path)
    s.sendall(json.dumps(req).encode() + b"\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    return json.loads(data)


def main():
    me = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    if me == "batond":
        if "--check" in args:
            return
        Batond(args[args.index("--config") + 1]).run_forever()
    elif me == "baton-agent":
        print("fake baton-agent: sleeping", flush=True)
        while True:
            signal.pause()
    elif me == "batonctl":
        sock = args[args.index("--socket") + 1]
        if "show" in args:
            req = {"command": "show", "what": args[args.index("show") + 1]}
        elif "failover" in args:
            req = {"command": "failover", "who": "lab", "reason": ""}
        else:
            sys.exit("fake batonctl: unsupported " + " ".join(args))
        a = ask(sock, req)
        if not a.get("ok"):
            sys.exit("batonctl: batond: " + a.get("error", "?"))
        print(json.dumps(a["result"]))
    elif me == "clusterXL_admin":
        sock = args[args.index("--socket") + 1]
        state = "down" if "down" in args else "up"
        with open(os.path.join(os.path.dirname(sock), "fake-admin"), "w") as f:
            f.write(state + "\n")
        print(json.dumps({"changed": True, "admin": {"state": state}}))
    else:
        sys.exit(f"fake.py: called as {me}")


if __name__ == "__main__":
    main()
