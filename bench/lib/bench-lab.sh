# Sourced by bench scripts: a two-namespace topology for benchmarks, client <-veth-> server, with
# the server holding 100 IPv4 addresses and one IPv6 address and listening on 1,000 ports (both
# families), so that 100,000 distinct probes are possible. Traffic never leaves the namespaces.
# shellcheck shell=bash

BENCH_NS="${SYNACK_BENCH_NS:-skbench$$}"
BENCH_CLIENT="$BENCH_NS-c"
BENCH_SERVER="$BENCH_NS-s"
BENCH_CLIENT_IF=bc0
BENCH_SERVER_IF=bs0
BENCH_CLIENT_V4=192.0.2.1
BENCH_CLIENT_V6=2001:db8:b::1
BENCH_SERVER_V4_FIRST=192.0.2.10   # .10 .. .109
BENCH_SERVER_V4_LAST=192.0.2.109
BENCH_SERVER_V6=2001:db8:b::10
BENCH_PORT_FIRST=10001
BENCH_PORT_LAST=11000
BENCH_LISTENER_PID=""

bench_in_client() { ip netns exec "$BENCH_CLIENT" "$@"; }
bench_in_server() { ip netns exec "$BENCH_SERVER" "$@"; }

bench_lab_up() {
  ip netns add "$BENCH_CLIENT"
  ip netns add "$BENCH_SERVER"
  ip -n "$BENCH_CLIENT" link add "$BENCH_CLIENT_IF" index 31 type veth peer name "$BENCH_SERVER_IF" index 32 netns "$BENCH_SERVER"
  for ns in "$BENCH_CLIENT" "$BENCH_SERVER"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad' 2>/dev/null || true
  done
  ip -n "$BENCH_CLIENT" addr add "$BENCH_CLIENT_V4/24" dev "$BENCH_CLIENT_IF"
  ip -n "$BENCH_CLIENT" addr add "$BENCH_CLIENT_V6/64" dev "$BENCH_CLIENT_IF" nodad
  for i in $(seq 10 109); do ip -n "$BENCH_SERVER" addr add "192.0.2.$i/24" dev "$BENCH_SERVER_IF"; done
  ip -n "$BENCH_SERVER" addr add "$BENCH_SERVER_V6/64" dev "$BENCH_SERVER_IF" nodad
  ip -n "$BENCH_CLIENT" link set "$BENCH_CLIENT_IF" up
  ip -n "$BENCH_SERVER" link set "$BENCH_SERVER_IF" up
  # Room for bursts of half-open connections on the server; no SYN cookies to blur the count.
  bench_in_server sh -c 'echo 65535 > /proc/sys/net/core/somaxconn; echo 262144 > /proc/sys/net/ipv4/tcp_max_syn_backlog; echo 0 > /proc/sys/net/ipv4/tcp_syncookies'
  local ready
  ready="$(mktemp)"
  # Not through bench_in_server: a backgrounded function is a subshell, and its pid is not node's.
  ip netns exec "$BENCH_SERVER" node "$SYNACK_ROOT/bench/src/many-listeners.ts" "$BENCH_PORT_FIRST" "$BENCH_PORT_LAST" >"$ready" 2>&1 &
  BENCH_LISTENER_PID=$!
  for _ in $(seq 1 200); do
    grep -q '^listening' "$ready" && break
    kill -0 "$BENCH_LISTENER_PID" 2>/dev/null || { cat "$ready" >&2; return 1; }
    bench_in_client true  # a cheap pause that is not a sleep: one fork/exec
  done
  grep -q '^listening' "$ready" || { echo "bench: listeners did not start" >&2; return 1; }
  rm -f "$ready"
  # Warm the neighbour tables so the first probes do not wait for ARP/ND.
  bench_in_client ping -c1 -W1 "$BENCH_SERVER_V4_FIRST" >/dev/null 2>&1 || true
  bench_in_client ping -c1 -W1 "$BENCH_SERVER_V6" >/dev/null 2>&1 || true
}

bench_lab_down() {
  [ -n "$BENCH_LISTENER_PID" ] && kill "$BENCH_LISTENER_PID" 2>/dev/null || true
  # Anything else still running in the namespaces would outlive them.
  local pid
  for ns in "$BENCH_CLIENT" "$BENCH_SERVER"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  ip netns del "$BENCH_CLIENT" 2>/dev/null || true
  ip netns del "$BENCH_SERVER" 2>/dev/null || true
}

bench_server_mac() { ip -n "$BENCH_SERVER" -br link show "$BENCH_SERVER_IF" | awk '{print $3}'; }
