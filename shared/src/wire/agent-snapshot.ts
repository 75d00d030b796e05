import { z } from 'zod';

/** Version of the agent snapshot format; the collector refuses versions it does not know. */
export const AGENT_SNAPSHOT_VERSION = 1;

const address = z.string().min(2).max(45);
const port = z.number().int().min(1).max(65_535);
const family = z.enum(['v4', 'v6']);

/** Where a part of the snapshot came from, and whether it could be read. */
export const sourceStatusSchema = z.object({
  /** e.g. `/proc/net/netstat`, `netlink sock_diag`, `ip -j route get`, `nft -j`, `tracefs skb:kfree_skb`. */
  source: z.string().max(100),
  ok: z.boolean(),
  /** Why it could not be read (missing capability, no nft, no tracefs...); absent when ok. */
  error: z.string().max(500).optional(),
});

/** One listening socket on a monitored port (from netlink sock_diag, like `ss -ltn`). */
export const listenerSchema = z.object({
  family,
  address,
  port,
  /** Connections waiting in the accept queue now (`ss` Recv-Q). */
  acceptQueue: z.number().int().nonnegative(),
  /** The accept queue's limit: min(backlog, somaxconn) (`ss` Send-Q). */
  acceptQueueMax: z.number().int().nonnegative(),
  /** Half-open connections (SYN-RECV request sockets) for this listener's port and family. */
  synRecv: z.number().int().nonnegative(),
  /** IPV6_V6ONLY for an IPv6 wildcard listener (`null` for IPv4). */
  v6Only: z.boolean().nullable(),
});

/** The server's route lookup toward one runner source address (`ip -j route get`). */
export const routeLookupSchema = z.object({
  /** The runner source address looked up, and the region(s) of the runners using it. */
  destination: address,
  family,
  regions: z.array(z.string().max(32)).max(64),
  /** `ok`: a route; `unreachable`: ENETUNREACH (no route); `prohibited`/`blackhole`: such a route; `error`: other failure. */
  result: z.enum(['ok', 'unreachable', 'prohibited', 'blackhole', 'error']),
  /** The kernel's own words when it failed (e.g. "Network is unreachable"). */
  error: z.string().max(200).optional(),
  dev: z.string().max(32).optional(),
  gateway: address.optional(),
  prefsrc: address.optional(),
  /** Neighbour state of the next hop (gateway, or the destination on-link): REACHABLE, STALE, FAILED, INCOMPLETE... */
  neighbour: z.string().max(32).optional(),
});

/** Counters of one firewall rule that matches a monitored port (`nft -j list ruleset`). */
export const firewallRuleSchema = z.object({
  /** `nft` (native or iptables-nft tables alike). */
  backend: z.enum(['nft']),
  family: z.string().max(16),
  table: z.string().max(64),
  chain: z.string().max(64),
  /** Rule handle, and the rule in nft's own text form, for people. */
  handle: z.number().int().nonnegative(),
  rule: z.string().max(500),
  /** `drop`, `reject` (with its type), `accept`, or other verdicts. */
  verdict: z.string().max(64),
  ports: z.array(port).max(64),
  packets: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

/** Kernel drop events attributed to a monitored port during the snapshot's interval. */
export const dropReasonSchema = z.object({
  /** `skb:kfree_skb` reason (NETFILTER_DROP, NO_SOCKET, ...), or a log source such as "kmsg". */
  reason: z.string().max(64),
  /** Kernel function that freed it, when known (nft_do_chain, tcp_v4_rcv...). */
  location: z.string().max(64).optional(),
  family,
  port,
  /** Peer address, when the event carries it (lets the collector tie it to a region). */
  peer: address.optional(),
  count: z.number().int().nonnegative(),
});

/**
 * What a host agent reports about its server: counters (as deltas since its previous snapshot),
 * listeners, route lookups back to every live runner, handshake sysctls, firewall rule counters
 * and kernel drop reasons for the monitored ports. Never packet contents.
 */
export const agentSnapshotSchema = z.object({
  v: z.literal(AGENT_SNAPSHOT_VERSION),
  agentId: z.string().regex(/^[a-z0-9-]{1,63}$/),
  /** Host name, for people. */
  host: z.string().max(253),
  /** When it was taken (epoch ms), and the previous snapshot's time, which the deltas are since. */
  atMs: z.number().int().nonnegative(),
  sinceMs: z.number().int().nonnegative().nullable(),
  /** Why it was taken: `periodic`, or `requested` (by the collector, for a failure window). */
  trigger: z.enum(['periodic', 'requested']),
  /** Monotonic sequence number per agent (restart resets it). */
  seq: z.number().int().nonnegative(),
  /** nstat names (`TcpExtListenDrops`, `Ip6OutNoRoutes`, `TcpOutRsts`...) → increase since `sinceMs`. */
  counterDeltas: z.record(z.string().max(64), z.number()),
  listeners: z.array(listenerSchema).max(1000),
  routes: z.array(routeLookupSchema).max(1000),
  /** `net.ipv4.tcp_syncookies`, `net.core.somaxconn`, `net.ipv4.conf.all.rp_filter`... → value. */
  sysctls: z.record(z.string().max(100), z.string().max(100)),
  firewall: z.array(firewallRuleSchema).max(1000),
  drops: z.array(dropReasonSchema).max(1000),
  /** Per source: whether it could be read, and why not. A missing source is said, not hidden. */
  sources: z.array(sourceStatusSchema).max(64),
});
export type AgentSnapshot = z.infer<typeof agentSnapshotSchema>;
export type Listener = z.infer<typeof listenerSchema>;
export type RouteLookup = z.infer<typeof routeLookupSchema>;
export type FirewallRule = z.infer<typeof firewallRuleSchema>;
export type DropReason = z.infer<typeof dropReasonSchema>;
