#!/usr/bin/env python3
"""The lab's service: a TCP listener on one port, with one IPv4 socket on 0.0.0.0 and one
IPv6-only socket on ::, like a real dual-stack server (separate sockets, as the kernel facts in
../shared/lab were measured with).

    listener.py --port 8080 [--families v4,v6] [--backlog 128] [--no-accept] [--hold N]

--no-accept   never call accept(): completed handshakes stay in the accept queue.
--hold N      open N connections to each socket from this host and keep them open, so a
              non-accepting listener's accept queue is full (Recv-Q > Send-Q) from the start.

Prints "listening" once every socket listens (and the held connections are established). Accepted
connections are closed at once. Ends on SIGTERM/SIGINT, or after --max-seconds (default 3600).
"""
import argparse
import select
import socket
import sys
import time

from labtool import stop_requested

BIND = {"v4": (socket.AF_INET, "0.0.0.0", "127.0.0.1"), "v6": (socket.AF_INET6, "::", "::1")}


def main() -> int:
    p = argparse.ArgumentParser(prog="listener.py")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--families", default="v4,v6")
    p.add_argument("--backlog", type=int, default=128)
    p.add_argument("--no-accept", action="store_true")
    p.add_argument("--hold", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=3600)
    a = p.parse_args()
    if not 1 <= a.port <= 65535:
        p.error(f"--port must be 1..65535, got {a.port}")
    if a.backlog < 0 or a.hold < 0 or a.hold > 1000:
        p.error("--backlog must be >= 0 and --hold 0..1000")
    families = [f.strip() for f in a.families.split(",") if f.strip()]
    for f in families:
        if f not in BIND:
            p.error(f'unknown family "{f}" (use v4, v6)')

    stopping = stop_requested()

    servers = []
    for f in families:
        af, host, _ = BIND[f]
        s = socket.socket(af, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if af == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, a.port))
        s.listen(a.backlog)
        s.setblocking(False)
        servers.append(s)

    held = []
    for f in families:
        af, _, loopback = BIND[f]
        for _ in range(a.hold):
            c = socket.socket(af, socket.SOCK_STREAM)
            c.settimeout(2)
            try:
                c.connect((loopback, a.port))
            except OSError:
                # A full accept queue drops the SYN: the queue is as full as it gets.
                c.close()
                break
            held.append(c)

    print("listening", flush=True)
    deadline = time.monotonic() + a.max_seconds
    while not stopping() and time.monotonic() < deadline:
        if a.no_accept:
            time.sleep(0.2)
            continue
        ready, _, _ = select.select(servers, [], [], 0.2)
        for s in ready:
            try:
                conn, _ = s.accept()
                conn.close()
            except OSError:
                pass
    for c in held:
        c.close()
    for s in servers:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
