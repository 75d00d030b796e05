/**
 * Why handshakes to a target fail: the diagnosis vocabulary. Each verdict comes with its scope
 * (families and regions) and the evidence that decided it. `unknown` is an honest answer: it lists
 * what was seen, and is preferred to a guess.
 * - `ok`: handshakes complete.
 * - `port_closed`: the server answers RST: no listener on the port.
 * - `listener_family_mismatch`: a listener exists, but not for this family (v4-only, v6-only).
 * - `firewall_reject`: a firewall answers for the service (RST it forged, or ICMP admin-prohibited).
 * - `server_firewall_drop`: the server's own firewall drops the SYNs silently.
 * - `server_no_route_to_client`: SYNs arrive but the server has no route back, so the kernel drops
 *   them without a SYN-ACK (ListenDrops with OutNoRoutes; the route lookup back fails).
 * - `server_nexthop_dead`: the route back exists, but its next hop does not answer ARP/ND.
 * - `accept_queue_overflow`: the listener's accept queue is full (ListenOverflows).
 * - `syn_queue_overflow`: the SYN queue is full and SYN cookies are off (TCPReqQFullDrop).
 * - `rp_filter_drop`: reverse-path filtering drops the SYNs (IPReversePathFilter).
 * - `conntrack_drop`: the conntrack table is full.
 * - `return_path_drop`: the server answers (SYN-ACKs retransmitted) but nothing reaches the runner.
 * - `network_path_drop`: the SYNs are lost before the server (a router, a path firewall, no route
 *   on the path): the server sees nothing from the failing regions.
 * - `host_down`: the server does not answer at all (a router reports it unreachable).
 * - `runner_fault`: the runner itself cannot probe (no route, failed self-check).
 * - `unknown`: the evidence does not decide; it lists what was seen.
 */
export const Verdict = {
  ok: 'ok',
  portClosed: 'port_closed',
  listenerFamilyMismatch: 'listener_family_mismatch',
  firewallReject: 'firewall_reject',
  serverFirewallDrop: 'server_firewall_drop',
  serverNoRouteToClient: 'server_no_route_to_client',
  serverNexthopDead: 'server_nexthop_dead',
  acceptQueueOverflow: 'accept_queue_overflow',
  synQueueOverflow: 'syn_queue_overflow',
  rpFilterDrop: 'rp_filter_drop',
  conntrackDrop: 'conntrack_drop',
  returnPathDrop: 'return_path_drop',
  networkPathDrop: 'network_path_drop',
  hostDown: 'host_down',
  runnerFault: 'runner_fault',
  unknown: 'unknown',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** One fact that decided a verdict: where it came from, and its value. */
export type EvidenceFact = {
  /** `probes`, `icmp`, `runner:<id>`, `agent:<id> counters`, `agent:<id> routes`... */
  source: string;
  fact: string;
  value: string | number | boolean;
};

/** A verdict with its scope, its evidence and the next thing to check. */
export type Diagnosis = {
  verdict: Verdict;
  scope: { families: ('v4' | 'v6')[]; regions: string[] };
  evidence: EvidenceFact[];
  /** What a person should check or change next, in one or two sentences. */
  next: string;
};
