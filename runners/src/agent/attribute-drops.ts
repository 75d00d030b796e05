import { isIP } from 'node:net';
import type { DropReason } from '@synack/shared/wire/agent-snapshot';
import type { TraceEvent } from './parse-trace-line.ts';

/** What can be tied to this server: its monitored ports, and its own addresses. */
export interface DropScope {
  ports: readonly number[];
  /** Addresses of this network namespace; tracefs shows every namespace's events. */
  localAddresses: ReadonlySet<string>;
}

// Resets that answer a handshake: sent with no socket (tcp_v4_send_reset(NULL, skb): no listener),
// or by a listener or request socket. Resets of established connections are not handshake drops.
const HANDSHAKE_RESET_STATES = new Set(['UNKNOWN', 'TCP_LISTEN', 'TCP_NEW_SYN_RECV', 'TCP_SYN_RECV']);
const MAX_DROPS = 1000;

/**
 * Counts the trace events that can be tied to a monitored port on one of this namespace's
 * addresses, by (reason, location, family, port, peer), and discards the rest:
 * - `tcp:tcp_send_reset`: the reset's source is our port; its destination the peer. Its location
 *   is the function that sends it (`tcp_v4_send_reset` / `tcp_v6_send_reset`).
 * - events carrying `saddr`/`sport` and `daddr`/`dport` of a received packet (a kfree_skb that
 *   prints ports, on kernels that have one): the destination is ours.
 * Events with no ports (kfree_skb on current kernels) cannot be attributed and are discarded.
 * Loopback addresses are in every namespace: events on them are counted by whoever listens.
 */
export function attributeDrops(events: readonly TraceEvent[], scope: DropScope): DropReason[] {
  const ports = new Set(scope.ports);
  const counts = new Map<string, DropReason>();
  for (const { event, fields } of events) {
    const attributed = event === 'tcp_send_reset' ? fromReset(fields) : fromReceivedPacket(fields);
    if (!attributed || !ports.has(attributed.port) || !scope.localAddresses.has(attributed.local)) continue;
    const { local: _, ...drop } = attributed;
    const key = [drop.reason, drop.location, drop.family, drop.port, drop.peer].join('|');
    const counted = counts.get(key);
    if (counted) counted.count++;
    else if (counts.size < MAX_DROPS) counts.set(key, { ...drop, count: 1 });
  }
  return [...counts.values()];
}

type Attributed = Omit<DropReason, 'count'> & { local: string };

function fromReset(fields: Record<string, string>): Attributed | undefined {
  if (!HANDSHAKE_RESET_STATES.has(fields.state ?? '')) return undefined;
  const local = endpoint(fields.src);
  const peer = endpoint(fields.dest);
  if (!local || !peer || !fields.reason) return undefined;
  const location = local.family === 'v4' ? 'tcp_v4_send_reset' : 'tcp_v6_send_reset';
  return {
    reason: fields.reason.slice(0, 64),
    location,
    family: local.family,
    port: local.port,
    peer: peer.address,
    local: local.address,
  };
}

function fromReceivedPacket(fields: Record<string, string>): Attributed | undefined {
  const local =
    fields.daddr && fields.dport ? endpoint(`${bracket(fields.daddr)}:${fields.dport}`) : endpoint(fields.dest);
  const peer = fields.saddr ? address(fields.saddr) : endpoint(fields.src)?.address;
  if (!local || !fields.reason) return undefined;
  const drop: Attributed = {
    reason: fields.reason.slice(0, 64),
    family: local.family,
    port: local.port,
    local: local.address,
  };
  // `location=tcp_v4_rcv+0x91/0x13f0`: the function is what identifies the drop.
  if (fields.location) drop.location = fields.location.replace(/\+0x.*$/, '').slice(0, 64);
  if (peer) drop.peer = peer;
  return drop;
}

// `127.0.0.1:9` or `[::1]:9` (the kernel's %pISpc).
function endpoint(text: string | undefined): { address: string; family: 'v4' | 'v6'; port: number } | undefined {
  const match = text === undefined ? null : /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!match) return undefined;
  const host = address(match[1] ?? '');
  const port = Number(match[2]);
  if (!host || !(port >= 1 && port <= 65_535)) return undefined;
  return { address: host, family: isIP(host) === 6 ? 'v6' : 'v4', port };
}

// IPv4-mapped IPv6 addresses become IPv4 ones: that is how the peer connected.
function address(text: string): string | undefined {
  const unmapped = text.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  return isIP(unmapped) === 0 ? undefined : unmapped;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
