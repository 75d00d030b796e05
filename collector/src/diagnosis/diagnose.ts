import type { AddressFamily } from '@synack/shared/address-family';
import { type Diagnosis, type EvidenceFact, Verdict } from '@synack/shared/verdict';
import { firewallRuleKey } from '../agents/agent-view.ts';
import { type AttemptGroup as Group, groupAttempts } from './attempt-groups.ts';
import type { DiagnosisInput } from './diagnosis-input.ts';
import { describePathTrace } from './path-trace.ts';

const NEXT: Record<Verdict, string> = {
  ok: 'Nothing to do.',
  port_closed: 'Start the service, or check that it listens on this port (ss -ltn on the server).',
  listener_family_mismatch:
    'Make the service listen on both families (bind [::] without IPV6_V6ONLY, or add the missing address), or stop publishing the other family in DNS.',
  firewall_reject:
    'Find the reject rule (its counter is in the evidence) and allow the runners, or the service, through it.',
  server_firewall_drop:
    "Find the drop rule on the server (its counter is in the evidence) and allow the service's port.",
  server_no_route_to_client:
    'Add the missing route on the server (often a default route for that family), then check with ip route get <runner address>.',
  server_nexthop_dead: "Check the server's next hop toward the runners: the gateway does not answer ARP/ND.",
  accept_queue_overflow:
    'The application does not accept() fast enough: look at its workers and load, or raise its listen backlog (and net.core.somaxconn).',
  syn_queue_overflow: 'Enable net.ipv4.tcp_syncookies, raise net.ipv4.tcp_max_syn_backlog, and look for a SYN flood.',
  rp_filter_drop:
    'Reverse-path filtering drops the SYNs: fix the asymmetric route, or set rp_filter to 2 (loose) on that interface.',
  conntrack_drop: 'The conntrack table is full: raise net.netfilter.nf_conntrack_max, or find what fills it.',
  return_path_drop:
    "The server answers, but its SYN-ACKs are lost on the way back: check the return path's routers and firewalls.",
  network_path_drop:
    "The SYNs are lost before they reach the server: check the failing regions' path (routers, firewalls, peering); a TCP traceroute from there shows where.",
  host_down: 'The server does not answer ARP/ND on its link: check that it is up and connected.',
  runner_fault: 'The runner itself cannot probe: check its network (route, firewall) and its control target.',
  unknown: 'The evidence does not decide: look at the facts listed, and run an agent on the server if there is none.',
};

/**
 * Names why handshakes to one target fail, from the evidence of one window. Pure. The rules read
 * what generalises: the pattern over regions and families, who sent an ICMP error, the server's
 * counters, listeners, route lookups back to the runners and firewall counters. When they do not
 * agree on a cause, the answer is `unknown` with what was seen: a wrong verdict is worse.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const diagnosis = decide(input);
  // Where the SYNs stop, for the verdicts about the path (and for an honest unknown).
  if (!PATH_VERDICTS.has(diagnosis.verdict) || !input.traces?.length) return diagnosis;
  const traced = input.traces.filter(
    (t) => diagnosis.scope.regions.includes(t.region) && diagnosis.scope.families.includes(t.family),
  );
  return {
    ...diagnosis,
    evidence: [
      ...diagnosis.evidence,
      ...traced.map((t) => {
        const { fact: what, value } = describePathTrace(t);
        return fact(`runner:${t.region} trace`, what, value);
      }),
    ],
  };
}

/** The verdicts a traceroute from the failing regions can tell more about. */
export const PATH_VERDICTS: ReadonlySet<Verdict> = new Set([
  Verdict.networkPathDrop,
  Verdict.hostDown,
  Verdict.unknown,
]);

function decide(input: DiagnosisInput): Diagnosis {
  const { failing, fine } = groupAttempts(input.attempts);
  if (failing.length === 0 && fine.length > 0)
    return result(Verdict.ok, fine, [fact('probes', 'every region and family answered', true)]);
  if (failing.length === 0) return result(Verdict.unknown, [], [fact('probes', 'attempts in the window', 0)]);

  const multiAddress =
    new Set([...failing, ...fine].map((g) => g.address)).size >
    [...new Set([...failing, ...fine].map((g) => g.family))].length;
  const probeFacts = failing.map((g) =>
    fact(
      'probes',
      `${g.region}/${g.family}${g.address && multiAddress ? ` ${g.address}` : ''}`,
      // What failed, as it stands: each kind's latest failed attempt (a kind that still answered
      // last time is not listed).
      [...new Map(g.streak.map((a) => [a.kind, a])).values()].map((a) => `${a.kind} ${a.outcome}`).join(', '),
    ),
  );

  // The runner's own fault first: nothing it reports about the target can be trusted.
  // A region is broken when every one of its live runners fails its own control target.
  const regionsOf = new Set(input.runners.map((r) => r.region));
  const brokenRunners = new Set(
    [...regionsOf].filter((region) =>
      input.runners.filter((r) => r.region === region).every((r) => r.controlOk === false),
    ),
  );
  const runnerFaults = failing.filter((g) => g.failure === 'local' || brokenRunners.has(g.region));
  if (runnerFaults.length === failing.length) {
    const evidence = runnerFaults.flatMap((g) => [
      ...g.latest
        .filter((a) => a.errorCode)
        .map((a) => fact('probes', `${g.region}/${g.family} ${a.kind}`, a.errorCode as string)),
      ...(brokenRunners.has(g.region) ? [fact(`runners:${g.region}`, 'control target answered', false)] : []),
    ]);
    return result(Verdict.runnerFault, runnerFaults, evidence);
  }
  const remaining = failing.filter((g) => !runnerFaults.includes(g));

  const icmp = remaining.filter((g) => g.failure === 'icmp');
  if (icmp.length > 0) return fromIcmp(icmp, fine, input, probeFacts);

  const rst = remaining.filter((g) => g.failure === 'rst');
  if (rst.length > 0) return fromRst(rst, fine, input, probeFacts);

  return fromSilence(remaining, fine, input, probeFacts);
}

function fromIcmp(groups: Group[], fine: Group[], input: DiagnosisInput, probeFacts: EvidenceFact[]): Diagnosis {
  // Every ICMP error of the current failure: IPv4 routers rate-limit them, so the latest attempt may be silent.
  const errors = groups.flatMap((g) => g.streak.flatMap((a) => (a.icmp ? [{ g, icmp: a.icmp }] : [])));
  const seenFrom = new Set<string>();
  const distinct = errors.filter((e) => {
    const key = `${e.g.region}/${e.g.family}/${e.icmp.type}/${e.icmp.code}/${e.icmp.from}`;
    if (seenFrom.has(key)) return false;
    seenFrom.add(key);
    return true;
  });
  const meanings = new Set(errors.map((e) => e.icmp.meaning));
  const evidence = [
    ...distinct.map((e) => {
      const who = isTargetAddress(e.icmp.from, input.target.addresses) ? 'the server itself' : 'a router';
      return fact(
        'icmp',
        `${e.g.region}/${e.g.family} type ${e.icmp.type} code ${e.icmp.code} from ${e.icmp.from} (${who})`,
        e.icmp.meaning,
      );
    }),
    ...probeFacts,
  ];
  if (meanings.size !== 1) return result(Verdict.unknown, groups, evidence);
  const [meaning] = meanings;
  const fromServer = errors.every((e) => isTargetAddress(e.icmp.from, input.target.addresses));
  const fromRouters = errors.every((e) => !isTargetAddress(e.icmp.from, input.target.addresses));
  const unreachable = new Set(['admin_prohibited', 'host_unreachable', 'network_unreachable', 'port_unreachable']);
  // The TCP stack never answers a SYN with ICMP: an unreachable from the server itself is its
  // firewall (reject with ICMP: admin-prohibited, or iptables' default port-unreachable).
  if (fromServer && unreachable.has(meaning as string)) return result(Verdict.firewallReject, groups, evidence);
  if (!fromRouters) return result(Verdict.unknown, groups, evidence);
  // A dead host: its last router gives up on ARP/ND. Only when no region gets through on that
  // family; else something on the failing regions' path sends it.
  const answeredElsewhere = (g: Group) => fine.some((f) => sameAddress(f, g) && f.region !== g.region);
  if (meaning === 'host_unreachable' && !groups.some(answeredElsewhere))
    return result(Verdict.hostDown, groups, evidence);
  if (meaning === 'host_unreachable' || meaning === 'network_unreachable' || meaning === 'admin_prohibited')
    return result(Verdict.networkPathDrop, groups, evidence);
  return result(Verdict.unknown, groups, evidence);
}

/** The same target address (and so family) in two groups. */
function sameAddress(x: Group, y: Group): boolean {
  return x.family === y.family && x.address === y.address;
}

/** Whether `address` is one of the target's (IPv4-mapped IPv6 forms included). */
function isTargetAddress(address: string, targets: readonly string[]): boolean {
  const plain = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return targets.some((t) => t.toLowerCase() === plain);
}

function fromRst(groups: Group[], fine: Group[], input: DiagnosisInput, probeFacts: EvidenceFact[]): Diagnosis {
  const agent = input.agent;
  if (!agent) {
    // A closed port and a firewall's forged RST look the same from outside.
    return result(Verdict.unknown, groups, [
      ...probeFacts,
      fact('agent', 'server snapshot', input.agentMissing ?? 'none: cannot tell a closed port from a firewall reject'),
    ]);
  }
  const src = `agent:${agent.id}`;
  // A listener serves the target when bound to the wildcard or to a target address (an IPv6
  // socket without V6ONLY also serves IPv4, on :: or ::ffff:<v4>); one on 127.0.0.1 does not.
  const serves = (address: string) =>
    address === '0.0.0.0' || address === '::' || isTargetAddress(address, input.target.addresses);
  const listening = (family: AddressFamily) =>
    agent.listeners.some(
      (l) =>
        l.port === input.target.port &&
        serves(l.address) &&
        (l.family === family || (l.family === 'v6' && family === 'v4' && l.v6Only === false)),
    );
  const families = [...new Set(groups.map((g) => g.family))];
  const missing = families.filter((f) => !listening(f));
  const listenerFacts = (['v4', 'v6'] as const).map((f) =>
    fact(`${src} listeners`, `listening on port ${input.target.port} for ${f}`, listening(f)),
  );
  const rsts = agent.counterDeltas.TcpOutRsts ?? 0;
  // A closed port answers every region alike, and its RSTs are the kernel's own (TcpOutRsts):
  // RSTs for one region while another completes handshakes come from somewhere else.
  const answeredElsewhere = groups.some((g) => fine.some((f) => sameAddress(f, g) && f.region !== g.region));
  if (missing.length === families.length && rsts > 0 && !answeredElsewhere) {
    const other = (['v4', 'v6'] as const).filter((f) => !families.includes(f) && listening(f));
    const verdict = other.length > 0 ? Verdict.listenerFamilyMismatch : Verdict.portClosed;
    return result(verdict, groups, [...probeFacts, ...listenerFacts, fact(`${src} counters`, 'TcpOutRsts', rsts)]);
  }
  const rejects = agent.firewall.filter(
    (r) =>
      r.verdict.startsWith('reject') &&
      r.ports.includes(input.target.port) &&
      (agent.firewallDeltas[firewallRuleKey(r)] ?? 0) > 0,
  );
  if (missing.length === 0 && rejects.length > 0) {
    return result(Verdict.firewallReject, groups, [
      ...probeFacts,
      ...listenerFacts,
      ...rejects.map((r) =>
        fact(
          `${src} firewall`,
          `${r.family} ${r.table} ${r.chain}: ${r.rule}`,
          agent.firewallDeltas[firewallRuleKey(r)] ?? 0,
        ),
      ),
      fact(`${src} counters`, 'TcpOutRsts (the kernel sent none itself)', rsts),
    ]);
  }
  return result(Verdict.unknown, groups, [
    ...probeFacts,
    ...listenerFacts,
    fact(`${src} counters`, 'TcpOutRsts', rsts),
  ]);
}

function fromSilence(groups: Group[], fine: Group[], input: DiagnosisInput, probeFacts: EvidenceFact[]): Diagnosis {
  const agent = input.agent;
  if (!agent) {
    return result(Verdict.unknown, groups, [
      ...probeFacts,
      fact('agent', 'server snapshot', input.agentMissing ?? 'none: silence has many causes'),
    ]);
  }
  const src = `agent:${agent.id}`;
  const d = (name: string) => agent.counterDeltas[name] ?? 0;
  const counter = (name: string) => fact(`${src} counters`, name, d(name));
  const queueFacts = agent.listeners
    .filter((l) => l.port === input.target.port)
    .map((l) =>
      fact(
        `${src} listeners`,
        `${l.family} [${l.address}]:${l.port} accept queue`,
        `${l.acceptQueue}/${l.acceptQueueMax}`,
      ),
    );
  // INCOMPLETE is a resolution in progress; FAILED is a next hop that did not answer.
  const deadNeighbour = (r: (typeof agent.routes)[number]) => r.neighbour === 'FAILED';
  const targetListeners = agent.listeners.filter((l) => l.port === input.target.port);

  // No route back: the kernel consumes the SYN without a SYN-ACK (tcp_conn_request: route_req
  // fails), counting it in ListenDrops and (Ip|Ip6)OutNoRoutes. The lookup toward the runner fails
  // and those counters moved for that family: a lookup failing alone (an address the server never
  // sees, behind NAT) proves nothing.
  const noRouteCounted = (family: AddressFamily) =>
    d('TcpExtListenDrops') > 0 && d(family === 'v6' ? 'Ip6OutNoRoutes' : 'IpOutNoRoutes') > 0;
  const noRouteLookup = (r: (typeof agent.routes)[number]) =>
    r.result === 'unreachable' || r.result === 'prohibited' || r.result === 'blackhole';
  const noRoute = groups.filter(
    (g) =>
      noRouteCounted(g.family) &&
      agent.routes.some((r) => r.family === g.family && r.regions.includes(g.region) && noRouteLookup(r)),
  );
  if (noRoute.length > 0) {
    const lookups = agent.routes.filter(
      (r) => noRouteLookup(r) && noRoute.some((g) => g.family === r.family && r.regions.includes(g.region)),
    );
    return result(Verdict.serverNoRouteToClient, noRoute, [
      ...lookups.map((r) =>
        fact(
          `${src} routes`,
          `route get ${r.destination} (${r.regions.join(', ')})`,
          `${r.result}${r.error ? `: ${r.error}` : ''}`,
        ),
      ),
      counter('TcpExtListenDrops'),
      counter(noRoute.some((g) => g.family === 'v6') ? 'Ip6OutNoRoutes' : 'IpOutNoRoutes'),
      counter('TcpExtListenOverflows'),
      ...queueFacts,
      ...probeFacts,
    ]);
  }
  const deadHop = groups.filter((g) =>
    agent.routes.some((r) => r.family === g.family && r.regions.includes(g.region) && deadNeighbour(r)),
  );
  if (deadHop.length > 0) {
    const hops = agent.routes.filter(deadNeighbour);
    return result(Verdict.serverNexthopDead, deadHop, [
      ...hops.map((r) =>
        fact(
          `${src} routes`,
          `next hop ${r.gateway ?? r.destination} dev ${r.dev ?? '?'} toward ${r.destination}`,
          r.neighbour ?? '',
        ),
      ),
      ...probeFacts,
    ]);
  }
  // Queue overflows are counted host-wide: they name the cause only when the target's own listener
  // shows it (accept queue full; SYN-RECV at its limit with cookies off).
  const acceptFull = targetListeners.some((l) => l.acceptQueue >= l.acceptQueueMax);
  if (d('TcpExtListenOverflows') > 0 && acceptFull) {
    return result(Verdict.acceptQueueOverflow, groups, [
      counter('TcpExtListenOverflows'),
      counter('TcpExtListenDrops'),
      ...queueFacts,
      ...probeFacts,
    ]);
  }
  const syncookies = agent.sysctls['net.ipv4.tcp_syncookies'];
  const synQueueFull = targetListeners.some((l) => l.acceptQueueMax > 0 && l.synRecv >= l.acceptQueueMax);
  if (d('TcpExtTCPReqQFullDrop') > 0 && synQueueFull && syncookies !== '1') {
    return result(Verdict.synQueueOverflow, groups, [
      counter('TcpExtTCPReqQFullDrop'),
      counter('TcpExtListenDrops'),
      fact(`${src} sysctls`, 'net.ipv4.tcp_syncookies', syncookies ?? 'unknown'),
      ...targetListeners.map((l) =>
        fact(`${src} listeners`, `${l.family} [${l.address}]:${l.port} SYN-RECV`, `${l.synRecv}/${l.acceptQueueMax}`),
      ),
      ...probeFacts,
    ]);
  }
  // Only rules that match the service's port: port-less drops (invalid state, blocklists) count
  // all the time on a busy server, and say nothing of these SYNs.
  const moved = (r: (typeof agent.firewall)[number]) => (agent.firewallDeltas[firewallRuleKey(r)] ?? 0) > 0;
  const drops = agent.firewall.filter((r) => r.verdict === 'drop' && r.ports.includes(input.target.port) && moved(r));
  const netfilterDrops = agent.drops.filter(
    (x) => x.reason === 'NETFILTER_DROP' && x.port === input.target.port && x.count > 0,
  );
  if (drops.length > 0 || netfilterDrops.length > 0) {
    return result(Verdict.serverFirewallDrop, groups, [
      ...drops.map((r) =>
        fact(
          `${src} firewall`,
          `${r.family} ${r.table} ${r.chain}: ${r.rule}`,
          agent.firewallDeltas[firewallRuleKey(r)] ?? 0,
        ),
      ),
      ...netfilterDrops.map((x) =>
        fact(
          `${src} drops`,
          `${x.reason}${x.location ? ` at ${x.location}` : ''} (${x.family} port ${x.port})`,
          x.count,
        ),
      ),
      ...probeFacts,
    ]);
  }
  // Reverse-path filtering is IPv4's.
  const v4 = groups.filter((g) => g.family === 'v4');
  if (d('TcpExtIPReversePathFilter') > 0 && v4.length === groups.length) {
    return result(Verdict.rpFilterDrop, v4, [
      counter('TcpExtIPReversePathFilter'),
      fact(`${src} sysctls`, 'net.ipv4.conf.all.rp_filter', agent.sysctls['net.ipv4.conf.all.rp_filter'] ?? 'unknown'),
      ...probeFacts,
    ]);
  }
  const count = Number(agent.sysctls['net.netfilter.nf_conntrack_count']);
  const max = Number(agent.sysctls['net.netfilter.nf_conntrack_max']);
  if (max > 0 && count >= max) {
    return result(Verdict.conntrackDrop, groups, [
      fact(`${src} sysctls`, 'nf_conntrack_count / nf_conntrack_max', `${count}/${max}`),
      ...probeFacts,
    ]);
  }
  // SYN-ACKs retransmitted (TCPSynRetrans also counts the server's own SYNs: the target's
  // listener must hold half-open connections too) while nothing is dropped on arrival.
  const halfOpen = targetListeners.some((l) => l.synRecv > 0);
  if (d('TcpExtTCPSynRetrans') > 0 && halfOpen && d('TcpExtListenDrops') === 0) {
    return result(Verdict.returnPathDrop, groups, [
      counter('TcpExtTCPSynRetrans'),
      counter('TcpExtListenDrops'),
      ...targetListeners.map((l) =>
        fact(`${src} listeners`, `${l.family} [${l.address}]:${l.port} SYN-RECV`, l.synRecv),
      ),
      ...probeFacts,
    ]);
  }
  // The server shows nothing, routes back resolve, and other regions get answers: the SYNs of the
  // failing regions are lost before they reach it.
  const quiet = [
    'TcpExtListenDrops',
    'TcpExtListenOverflows',
    'TcpExtTCPReqQFullDrop',
    'IpOutNoRoutes',
    'Ip6OutNoRoutes',
  ].every((n) => d(n) === 0);
  // Another region answers on each failing family: the server and its stack for that family work.
  const healthyElsewhere = groups.every((g) => fine.some((f) => sameAddress(f, g) && f.region !== g.region));
  // Blind spots: a firewall the agent could not read, or port-less drops that moved, may be
  // dropping these SYNs on the server without a counter of the port moving.
  const firewallUnread = agent.sources.some((x) => !x.ok && /nft|firewall/i.test(x.source));
  const otherDrops = agent.firewall.filter((r) => r.verdict === 'drop' && r.ports.length === 0 && moved(r));
  // A default-deny chain drops without a counter; unless a rule opens the port to every source,
  // it may be what drops the failing regions (an allow-list that lacks their runners).
  const openToAll = agent.firewall.some(
    (r) => r.verdict === 'accept' && r.ports.includes(input.target.port) && !/saddr/.test(r.rule),
  );
  const policyDrops = openToAll ? [] : agent.firewall.filter((r) => r.handle === 0 && r.verdict === 'drop');
  if (quiet && healthyElsewhere && !firewallUnread && otherDrops.length === 0 && policyDrops.length === 0) {
    return result(Verdict.networkPathDrop, groups, [
      fact(`${src} counters`, 'drop counters (ListenDrops, ListenOverflows, ReqQFullDrop, OutNoRoutes)', 0),
      fact(`${src} routes`, 'route lookups back to the failing regions', 'all resolve'),
      fact('probes', 'regions that get answers', [...new Set(fine.map((g) => g.region))].join(', ')),
      ...probeFacts,
    ]);
  }
  const seen = [
    ...Object.entries(agent.counterDeltas)
      .filter(([, v]) => v > 0)
      .slice(0, 12)
      .map(([k, v]) => fact(`${src} counters`, k, v)),
    ...policyDrops.map((r) =>
      fact(`${src} firewall`, `${r.family} ${r.table} ${r.chain}: policy drop`, 'no counter; may drop these SYNs'),
    ),
    ...otherDrops.map((r) =>
      fact(
        `${src} firewall`,
        `${r.family} ${r.table} ${r.chain}: ${r.rule}`,
        agent.firewallDeltas[firewallRuleKey(r)] ?? 0,
      ),
    ),
    ...agent.sources.filter((x) => !x.ok).map((x) => fact(`${src} sources`, `${x.source} unreadable`, x.error ?? true)),
  ];
  return result(Verdict.unknown, groups, [...probeFacts, ...seen]);
}

function fact(source: string, what: string, value: string | number | boolean): EvidenceFact {
  return { source, fact: what, value };
}

function result(verdict: Verdict, groups: readonly Group[], evidence: EvidenceFact[]): Diagnosis {
  const families = [...new Set(groups.map((g) => g.family))].sort();
  const regions = [...new Set(groups.map((g) => g.region))].sort();
  return { verdict, scope: { families, regions }, evidence, next: NEXT[verdict] };
}
