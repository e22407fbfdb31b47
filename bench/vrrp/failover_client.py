#!/usr/bin/python3
"""Sequenced UDP client for the failover benchmark (runs inside the client namespace).

Sends one datagram carrying a sequence number every 1/rate seconds to VIP:port for
`duration` seconds, collects the echoes, and prints one JSON line: the longest gap between
two consecutive echoes (ms), how many datagrams were never answered, and counts.
"""
import json
import socket
import struct
import sys
import threading
import time


def main():
    vip, port, rate, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.settimeout(0.2)
    received = {}
    stop = threading.Event()

    def rx():
        while not stop.is_set():
            try:
                data, _ = s.recvfrom(64)
            except socket.timeout:
                continue
            if len(data) >= 8:
                seq = struct.unpack("!Q", data[:8])[0]
                received.setdefault(seq, time.monotonic())

    t = threading.Thread(target=rx)
    t.start()
    period = 1.0 / rate
    start = time.monotonic()
    sent = 0
    while True:
        now = time.monotonic()
        if now - start >= duration:
            break
        due = start + sent * period
        if now < due:
            time.sleep(due - now)
        try:
            s.sendto(struct.pack("!Q", sent), (vip, port))
        except OSError:
            pass
        sent += 1
    time.sleep(0.15)
    stop.set()
    t.join()
    times = sorted(received.values())
    gap = max((b - a for a, b in zip(times, times[1:])), default=duration)
    print(json.dumps({"sent": sent, "received": len(received), "lost": sent - len(received),
                      "max_gap_ms": round(gap * 1000, 3)}))


if __name__ == "__main__":
    main()
