#!/usr/bin/python3
"""UDP echo bound to the virtual address (IP_FREEBIND: it may not be ours yet)."""
import socket
import sys

IP_FREEBIND = 15
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(64)
    try:
        s.sendto(data, peer)
    except OSError:
        pass
