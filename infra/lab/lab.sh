#!/usr/bin/env bash
# Builds (up) or tears down (down) the synack lab by hand: the same topology the integration
# tests build with test/src/lab/netns-lab.ts, but with fixed namespace names to type:
#
#   synack-client 192.0.2.2, 2001:db8:1::2
#     -- eth0 / c0 --  synack-router  192.0.2.1, 2001:db8:1::1 | 203.0.113.1, 2001:db8:5::1 (forwarding)
#     -- s0 / eth0 --  synack-server  203.0.113.10, 2001:db8:5::10
#
# Keep addresses and settings in step with test/src/lab/lab-addresses.ts and lab-topology.ts.
# ICMP error rate limiting is disabled on router and server, as in the tests; set
# SYNACK_LAB_ICMP_RATELIMIT=1 to keep the kernel's limits.
#
# Usage (as root): infra/lab/lab.sh up | down | status
set -euo pipefail

CLIENT=synack-client
ROUTER=synack-router
SERVER=synack-server
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# ip and nft live in sbin, which sudo/su shells sometimes leave off PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

die() { echo "lab.sh: $*" >&2; exit 1; }

# Through /proc/sys with tee rather than sysctl(8): procps is missing from slim images.
set_sysctl() { # namespace key value
  printf '%s\n' "$3" | ip netns exec "$1" tee "/proc/sys/${2//.//}" >/dev/null
}

exists() { [ -e "/run/netns/$1" ]; }

up() {
  for ns in "$CLIENT" "$ROUTER" "$SERVER"; do
    exists "$ns" && die "namespace $ns already exists; run: $0 down"
  done
  # If anything below fails, take down what was built.
  trap 'echo "lab.sh: up failed, cleaning up" >&2; down >/dev/null 2>&1' ERR

  for ns in "$CLIENT" "$ROUTER" "$SERVER"; do
    ip netns add "$ns"
    set_sysctl "$ns" net.ipv6.conf.default.accept_dad 0 # before the veths: no DAD on link-locals
    ip -n "$ns" link set lo up
  done
  # Distinct ifindexes at the two ends: equal ones delay carrier-up (and IPv6) by up to a second.
  ip -n "$ROUTER" link add c0 index 10 type veth peer name eth0 index 11 netns "$CLIENT"
  ip -n "$ROUTER" link add s0 index 20 type veth peer name eth0 index 21 netns "$SERVER"

  ip -n "$CLIENT" addr add 192.0.2.2/24 dev eth0
  ip -n "$CLIENT" addr add 2001:db8:1::2/64 dev eth0 nodad
  ip -n "$ROUTER" addr add 192.0.2.1/24 dev c0
  ip -n "$ROUTER" addr add 2001:db8:1::1/64 dev c0 nodad
  ip -n "$ROUTER" addr add 203.0.113.1/24 dev s0
  ip -n "$ROUTER" addr add 2001:db8:5::1/64 dev s0 nodad
  ip -n "$SERVER" addr add 203.0.113.10/24 dev eth0
  ip -n "$SERVER" addr add 2001:db8:5::10/64 dev eth0 nodad
  ip -n "$CLIENT" link set eth0 up
  ip -n "$ROUTER" link set c0 up
  ip -n "$ROUTER" link set s0 up
  ip -n "$SERVER" link set eth0 up

  ip -n "$CLIENT" route add default via 192.0.2.1
  ip -n "$CLIENT" -6 route add default via 2001:db8:1::1
  ip -n "$SERVER" route add default via 203.0.113.1
  ip -n "$SERVER" -6 route add default via 2001:db8:5::1

  set_sysctl "$ROUTER" net.ipv4.ip_forward 1
  set_sysctl "$ROUTER" net.ipv6.conf.all.forwarding 1
  if [ "${SYNACK_LAB_ICMP_RATELIMIT:-0}" != 1 ]; then
    for ns in "$ROUTER" "$SERVER"; do
      set_sysctl "$ns" net.ipv4.icmp_ratelimit 0
      set_sysctl "$ns" net.ipv6.icmp.ratelimit 0
    done
  fi
  trap - ERR

  cat <<USAGE
synack lab is up: $CLIENT -- $ROUTER -- $SERVER

  # a dual-stack listener on the server (accepts and closes; Ctrl-C to stop)
  ip netns exec $SERVER node $ROOT/test/src/lab/tcp-listener.ts --port 8080

  # probe it from the client, over IPv4 and IPv6
  ip netns exec $CLIENT npx synack probe 203.0.113.10:8080
  ip netns exec $CLIENT npx synack probe '[2001:db8:5::10]:8080'

  # make the server drop SYNs to 8080 (and undo it)
  echo 'table inet t { chain input { type filter hook input priority 0; tcp dport 8080 counter drop; } }' \\
    | ip netns exec $SERVER nft -f -
  ip netns exec $SERVER nft delete table inet t

  # watch the router forward
  ip netns exec $ROUTER tcpdump -ni any tcp or icmp or icmp6

Tear down with: $0 down
USAGE
}

down() {
  local ns
  for ns in "$CLIENT" "$ROUTER" "$SERVER"; do
    # Deleting a namespace removes its veth ends (and so the pairs). Processes still running in
    # it keep the network alive until they exit.
    if exists "$ns"; then ip netns del "$ns" && echo "deleted $ns"; fi
  done
}

status() {
  local ns
  for ns in "$CLIENT" "$ROUTER" "$SERVER"; do
    if exists "$ns"; then
      echo "== $ns"
      ip -n "$ns" -br addr
    else
      echo "== $ns: absent"
    fi
  done
}

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces need CAP_SYS_ADMIN)"
command -v ip >/dev/null || die "ip not found (apt-get install iproute2)"
case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
