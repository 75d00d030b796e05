import type { Listener, RouteLookup } from '@synack/shared/wire/agent-snapshot';
import { describe, expect, it } from 'vitest';
import { diagnose } from './diagnose.ts';
import type { DiagnosisInput, ObservedAttempt } from './diagnosis-input.ts';

// Inputs written from the kernel facts in ../shared/lab (what clients saw, which counters moved),
// one per lab case: the rules must name each cause from that evidence alone.
const PORT = 8080;
const SERVER = { v4: '203.0.113.10', v6: '2001:db8:5::10' };
const ROUTER = { v4: '198.51.100.1', v6: '2001:db8:ff::1' };
type Seen = Partial<Record<`${'a' | 'b'}/${'v4' | 'v6'}`, [string, string] | ObservedAttempt[]>>;

const ok: [string, string] = ['synack', 'established'];
const silent: [string, string] = ['timeout', 'timeout'];
const rst: [string, string] = ['rst', 'refused'];

function attempts(seen: Seen): ObservedAttempt[] {
  const out: ObservedAttempt[] = [];
  for (const region of ['a', 'b'] as const) {
    for (const family of ['v4', 'v6'] as const) {
      const s = seen[`${region}/${family}`] ?? ok;
      if (!Array.isArray(s[0])) {
        if (typeof s[0] === 'string') {
          const [syn, connect] = s as [string, string];
          out.push({ region, family, kind: 'syn', outcome: syn, startedAtMs: 1000 });
          out.push({ region, family, kind: 'connect', outcome: connect, startedAtMs: 1000 });
          continue;
        }
      }
      out.push(...(s as ObservedAttempt[]));
    }
  }
  return out;
}

const listeners = (families: ('v4' | 'v6')[] = ['v4', 'v6'], queue = [0, 128]): Listener[] =>
  families.map((family) => ({
    family,
    address: family === 'v4' ? '0.0.0.0' : '::',
    port: PORT,
    acceptQueue: queue[0] as number,
    acceptQueueMax: queue[1] as number,
    synRecv: 0,
    v6Only: family === 'v6' ? true : null,
  }));

const routes = (unreachable: string[] = []): RouteLookup[] =>
  (['a', 'b'] as const).flatMap((region, i) =>
    (['v4', 'v6'] as const).map((family) => ({
      destination: family === 'v4' ? `10.${i + 1}.0.2` : `2001:db8:${region}::2`,
      family,
      regions: [region],
      result: unreachable.includes(`${region}/${family}`) ? ('unreachable' as const) : ('ok' as const),
      ...(unreachable.includes(`${region}/${family}`) ? { error: 'Network is unreachable' } : { dev: 'eth0' }),
    })),
  );

function input(seen: Seen, agent: Partial<NonNullable<DiagnosisInput['agent']>> | null = {}): DiagnosisInput {
  return {
    target: { name: 'web', port: PORT, addresses: [SERVER.v4, SERVER.v6] },
    attempts: attempts(seen),
    runners: [
      { id: 'ra', region: 'a', controlOk: true },
      { id: 'rb', region: 'b', controlOk: true },
    ],
    agent:
      agent === null
        ? null
        : {
            id: 'srv',
            span: { fromMs: 0, toMs: 2000 },
            counterDeltas: {},
            listeners: listeners(),
            routes: routes(),
            sysctls: { 'net.ipv4.tcp_syncookies': '1' },
            firewall: [],
            firewallDeltas: {},
            drops: [],
            sources: [],
            ...agent,
          },
  };
}

const icmpAttempts = (
  region: 'a' | 'b',
  family: 'v4' | 'v6',
  type: number,
  code: number,
  from: string,
  meaning: string,
): ObservedAttempt[] => [
  { region, family, kind: 'syn', outcome: 'icmp', icmp: { type, code, from, meaning }, startedAtMs: 1000 },
  { region, family, kind: 'connect', outcome: 'unreachable', startedAtMs: 1000 },
];

/** An nft rule as the agent reports it. */
const nftRule = (over: {
  table: string;
  handle: number;
  rule: string;
  verdict: string;
  ports: number[];
  packets: number;
}) => ({
  backend: 'nft' as const,
  family: 'inet',
  chain: 'input',
  bytes: over.packets * 60,
  ...over,
});

/** A rule on the service's port: `tcp dport 8080 <verdict>`. */
const portRule = (handle: number, verdict: string, packets: number, table = 'f') =>
  nftRule({ table, handle, rule: `tcp dport ${PORT} ${verdict}`, verdict, ports: [PORT], packets });

describe('diagnose: the lab cases', () => {
  it('baseline: ok everywhere', () => {
    expect(diagnose(input({}))).toMatchObject({
      verdict: 'ok',
      scope: { families: ['v4', 'v6'], regions: ['a', 'b'] },
    });
  });

  it('no IPv6 default route on the server: no route back, IPv6 in both regions, despite a healthy queue', () => {
    const d = diagnose(
      input(
        { 'a/v6': silent, 'b/v6': silent },
        { routes: routes(['a/v6', 'b/v6']), counterDeltas: { TcpExtListenDrops: 10, Ip6OutNoRoutes: 10 } },
      ),
    );
    expect(d).toMatchObject({ verdict: 'server_no_route_to_client', scope: { families: ['v6'], regions: ['a', 'b'] } });
    expect(d.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fact: 'TcpExtListenDrops', value: 10 }),
        expect.objectContaining({ fact: 'Ip6OutNoRoutes', value: 10 }),
        expect.objectContaining({ fact: 'TcpExtListenOverflows', value: 0 }),
        expect.objectContaining({
          fact: expect.stringContaining('route get 2001:db8:a::2'),
          value: expect.stringContaining('unreachable'),
        }),
      ]),
    );
  });

  it('routes only to region a: no route back to region b, both families', () => {
    const d = diagnose(
      input(
        { 'b/v4': silent, 'b/v6': silent },
        {
          routes: routes(['b/v4', 'b/v6']),
          counterDeltas: { TcpExtListenDrops: 8, IpOutNoRoutes: 4, Ip6OutNoRoutes: 4 },
        },
      ),
    );
    expect(d).toMatchObject({
      verdict: 'server_no_route_to_client',
      scope: { families: ['v4', 'v6'], regions: ['b'] },
    });
  });

  it('accept queue full', () => {
    const all = { 'a/v4': silent, 'a/v6': silent, 'b/v4': silent, 'b/v6': silent };
    const d = diagnose(
      input(all, {
        counterDeltas: { TcpExtListenOverflows: 12, TcpExtListenDrops: 12 },
        listeners: listeners(['v4', 'v6'], [129, 128]),
      }),
    );
    expect(d).toMatchObject({
      verdict: 'accept_queue_overflow',
      scope: { families: ['v4', 'v6'], regions: ['a', 'b'] },
    });
    expect(d.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ value: '129/128' })]));
  });

  it('SYN queue full with syncookies off; and with syncookies on it is ok', () => {
    const all = { 'a/v4': silent, 'a/v6': silent, 'b/v4': silent, 'b/v6': silent };
    const full = listeners().map((l) => ({ ...l, synRecv: 129 }));
    const off = diagnose(
      input(all, {
        counterDeltas: { TcpExtTCPReqQFullDrop: 20, TcpExtListenDrops: 20 },
        sysctls: { 'net.ipv4.tcp_syncookies': '0' },
        listeners: full,
      }),
    );
    expect(off).toMatchObject({ verdict: 'syn_queue_overflow', scope: { regions: ['a', 'b'] } });
    // Another listener's flood (the target's SYN queue is not full) is not this target's cause.
    const elsewhere = diagnose(
      input(all, {
        counterDeltas: { TcpExtTCPReqQFullDrop: 20, TcpExtListenDrops: 20 },
        sysctls: { 'net.ipv4.tcp_syncookies': '0' },
      }),
    );
    expect(elsewhere.verdict).toBe('unknown');
    const on = diagnose(input({}, { counterDeltas: { TcpExtTCPReqQFullDoCookies: 20, TcpExtSyncookiesSent: 20 } }));
    expect(on.verdict).toBe('ok');
  });

  it('server firewall drop: a drop rule counts, no TCP counter moves', () => {
    const all = { 'a/v4': silent, 'a/v6': silent, 'b/v4': silent, 'b/v6': silent };
    const rule = portRule(4, 'drop', 40);
    const d = diagnose(input(all, { firewall: [rule], firewallDeltas: { 'inet f 4': 40 } }));
    expect(d).toMatchObject({
      verdict: 'server_firewall_drop',
      scope: { families: ['v4', 'v6'], regions: ['a', 'b'] },
    });
    // The same, seen only through kfree_skb reasons.
    const viaDrops = diagnose(
      input(all, {
        drops: [{ reason: 'NETFILTER_DROP', location: 'nft_do_chain', family: 'v4', port: PORT, count: 10 }],
      }),
    );
    expect(viaDrops.verdict).toBe('server_firewall_drop');
  });

  it('firewall reject with tcp reset: a listener exists, the kernel sent no RST itself', () => {
    const all = { 'a/v4': rst, 'a/v6': rst, 'b/v4': rst, 'b/v6': rst };
    const rule = nftRule({
      table: 'f',
      handle: 7,
      rule: `tcp dport ${PORT} reject with tcp reset`,
      verdict: 'reject tcp reset',
      ports: [PORT],
      packets: 12,
    });
    const d = diagnose(
      input(all, { firewall: [rule], firewallDeltas: { 'inet f 7': 12 }, counterDeltas: { TcpOutRsts: 0 } }),
    );
    expect(d).toMatchObject({ verdict: 'firewall_reject', scope: { families: ['v4', 'v6'], regions: ['a', 'b'] } });
  });

  it('firewall reject with admin-prohibited: ICMP from the server itself', () => {
    const d = diagnose(
      input({
        'a/v4': icmpAttempts('a', 'v4', 3, 13, SERVER.v4, 'admin_prohibited'),
        'b/v4': icmpAttempts('b', 'v4', 3, 13, SERVER.v4, 'admin_prohibited'),
        'a/v6': icmpAttempts('a', 'v6', 1, 1, SERVER.v6, 'admin_prohibited'),
        'b/v6': icmpAttempts('b', 'v6', 1, 1, SERVER.v6, 'admin_prohibited'),
      }),
    );
    expect(d).toMatchObject({ verdict: 'firewall_reject', scope: { families: ['v4', 'v6'], regions: ['a', 'b'] } });
    expect(d.evidence[0]?.fact).toContain('(the server itself)');
  });

  it('no listener: port closed', () => {
    const all = { 'a/v4': rst, 'a/v6': rst, 'b/v4': rst, 'b/v6': rst };
    expect(diagnose(input(all, { listeners: [], counterDeltas: { TcpOutRsts: 20 } }))).toMatchObject({
      verdict: 'port_closed',
    });
  });

  it('listener on IPv4 only: a family mismatch for IPv6', () => {
    const d = diagnose(
      input({ 'a/v6': rst, 'b/v6': rst }, { listeners: listeners(['v4']), counterDeltas: { TcpOutRsts: 10 } }),
    );
    expect(d).toMatchObject({ verdict: 'listener_family_mismatch', scope: { families: ['v6'], regions: ['a', 'b'] } });
  });

  it("a router drops region b's SYNs: the server saw nothing, region a is fine", () => {
    const d = diagnose(input({ 'b/v4': silent, 'b/v6': silent }));
    expect(d).toMatchObject({ verdict: 'network_path_drop', scope: { families: ['v4', 'v6'], regions: ['b'] } });
    // With a traceroute from region b, the evidence says where the SYNs stop; a's is not its business.
    const traced = diagnose({
      ...input({ 'b/v4': silent, 'b/v6': silent }),
      traces: [
        {
          region: 'b',
          family: 'v4',
          address: SERVER.v4,
          atMs: 1500,
          hops: [
            { ttl: 1, responders: ['10.2.0.1'], reachedTarget: false, final: false },
            { ttl: 2, responders: [], reachedTarget: false, final: false },
          ],
        },
        { region: 'a', family: 'v4', address: SERVER.v4, atMs: 1500, hops: [], error: 'x' },
      ],
    });
    expect(traced.evidence.filter((e) => e.source.endsWith('trace'))).toEqual([
      {
        source: 'runner:b trace',
        fact: `trace b/v4 to ${SERVER.v4}`,
        value: '1 10.2.0.1, 2 *: the SYNs are lost after hop 1 (10.2.0.1)',
      },
    ]);
  });

  it('the router has no route to the server: net-unreachable from the router (some throttled to silence)', () => {
    const throttled: ObservedAttempt[] = [
      ...icmpAttempts('a', 'v4', 3, 0, ROUTER.v4, 'network_unreachable').map((x) => ({ ...x, startedAtMs: 900 })),
      { region: 'a', family: 'v4', kind: 'syn', outcome: 'timeout', startedAtMs: 1000 },
    ];
    const d = diagnose(
      input({
        'a/v4': throttled,
        'b/v4': icmpAttempts('b', 'v4', 3, 0, ROUTER.v4, 'network_unreachable'),
        'a/v6': icmpAttempts('a', 'v6', 1, 0, ROUTER.v6, 'network_unreachable'),
        'b/v6': icmpAttempts('b', 'v6', 1, 0, ROUTER.v6, 'network_unreachable'),
      }),
    );
    expect(d).toMatchObject({ verdict: 'network_path_drop', scope: { families: ['v4', 'v6'], regions: ['a', 'b'] } });
    expect(d.evidence[0]?.fact).toContain('(a router)');
  });

  it('the server is down: host-unreachable from the router, no agent', () => {
    const d = diagnose(
      input(
        {
          'a/v4': icmpAttempts('a', 'v4', 3, 1, ROUTER.v4, 'host_unreachable'),
          'b/v4': icmpAttempts('b', 'v4', 3, 1, ROUTER.v4, 'host_unreachable'),
          'a/v6': icmpAttempts('a', 'v6', 1, 3, ROUTER.v6, 'host_unreachable'),
          'b/v6': icmpAttempts('b', 'v6', 1, 3, ROUTER.v6, 'host_unreachable'),
        },
        null,
      ),
    );
    expect(d).toMatchObject({ verdict: 'host_down', scope: { families: ['v4', 'v6'], regions: ['a', 'b'] } });
  });

  it("region b's runner has no route: a runner fault, whatever the target does", () => {
    const local = (family: 'v4' | 'v6'): ObservedAttempt[] => [
      { region: 'b', family, kind: 'syn', outcome: 'local_error', errorCode: 'SYNACK_ERR_NO_ROUTE', startedAtMs: 1000 },
      {
        region: 'b',
        family,
        kind: 'connect',
        outcome: 'local_error',
        errorCode: 'SYNACK_ERR_NO_ROUTE',
        startedAtMs: 1000,
      },
    ];
    const d = diagnose(input({ 'b/v4': local('v4'), 'b/v6': local('v6') }));
    expect(d).toMatchObject({ verdict: 'runner_fault', scope: { families: ['v4', 'v6'], regions: ['b'] } });
  });
});

describe('diagnose: honest unknowns', () => {
  it('silence with no agent is unknown, and says what was seen', () => {
    const d = diagnose(input({ 'a/v4': silent, 'b/v4': silent }, null));
    expect(d.verdict).toBe('unknown');
    expect(d.evidence.map((e) => e.fact)).toEqual(expect.arrayContaining(['a/v4', 'b/v4', 'server snapshot']));
  });

  it('RST with no agent is unknown: a closed port and a forged RST look the same', () => {
    expect(diagnose(input({ 'a/v4': rst }, null)).verdict).toBe('unknown');
  });

  it('silence everywhere while the server shows nothing is unknown, not a guess', () => {
    const all = { 'a/v4': silent, 'a/v6': silent, 'b/v4': silent, 'b/v6': silent };
    expect(diagnose(input(all)).verdict).toBe('unknown');
  });

  it('conflicting ICMP meanings are unknown', () => {
    const d = diagnose(
      input({
        'a/v4': icmpAttempts('a', 'v4', 3, 13, SERVER.v4, 'admin_prohibited'),
        'b/v4': icmpAttempts('b', 'v4', 3, 1, ROUTER.v4, 'host_unreachable'),
      }),
    );
    expect(d.verdict).toBe('unknown');
  });
});

describe('diagnose: evidence belongs to the current failure', () => {
  it('does not read an earlier, fixed failure’s ICMP into a later silent one', () => {
    const earlier = (region: 'a' | 'b', family: 'v4' | 'v6'): ObservedAttempt[] => [
      {
        region,
        family,
        kind: 'syn',
        outcome: 'icmp',
        icmp: { type: 3, code: 1, from: ROUTER.v4, meaning: 'host_unreachable' },
        startedAtMs: 100,
      },
      { region, family, kind: 'connect', outcome: 'unreachable', startedAtMs: 100 },
      { region, family, kind: 'syn', outcome: 'synack', startedAtMs: 500 },
      { region, family, kind: 'connect', outcome: 'established', startedAtMs: 500 },
      { region, family, kind: 'syn', outcome: 'timeout', startedAtMs: 1000 },
      { region, family, kind: 'connect', outcome: 'timeout', startedAtMs: 1000 },
    ];
    const d = diagnose(
      input(
        { 'a/v4': earlier('a', 'v4'), 'b/v4': earlier('b', 'v4') },
        { routes: routes(['a/v4', 'b/v4']), counterDeltas: { TcpExtListenDrops: 4, IpOutNoRoutes: 4 } },
      ),
    );
    expect(d).toMatchObject({ verdict: 'server_no_route_to_client', scope: { families: ['v4'], regions: ['a', 'b'] } });
  });
});

describe('diagnose: host-wide evidence must be the target’s', () => {
  const all = { 'a/v4': silent, 'a/v6': silent, 'b/v4': silent, 'b/v6': silent };
  const portless = nftRule({
    table: 'filter',
    handle: 9,
    rule: 'ct state invalid drop',
    verdict: 'drop',
    ports: [],
    packets: 500,
  });

  it('does not blame a drop rule that does not match the port, and lists it', () => {
    const d = diagnose(input(all, { firewall: [portless], firewallDeltas: { 'inet filter 9': 12 } }));
    expect(d.verdict).toBe('unknown');
    expect(d.evidence).toContainEqual(expect.objectContaining({ fact: 'inet filter input: ct state invalid drop' }));
  });

  it('does not call a path drop when a port-less drop moved or the firewall could not be read', () => {
    const region = { 'b/v4': silent, 'b/v6': silent };
    expect(diagnose(input(region)).verdict).toBe('network_path_drop');
    expect(diagnose(input(region, { firewall: [portless], firewallDeltas: { 'inet filter 9': 3 } })).verdict).toBe(
      'unknown',
    );
    expect(
      diagnose(input(region, { sources: [{ source: 'nft -j list ruleset', ok: false, error: 'EPERM' }] })).verdict,
    ).toBe('unknown');
  });

  it('needs a same-family answer elsewhere for a path drop', () => {
    // b's IPv6 fails, and no region answers over IPv6: not a path of b's.
    const local: ObservedAttempt[] = [
      {
        region: 'a',
        family: 'v6',
        kind: 'syn',
        outcome: 'local_error',
        errorCode: 'SYNACK_ERR_NO_ROUTE',
        startedAtMs: 1000,
      },
      {
        region: 'a',
        family: 'v6',
        kind: 'connect',
        outcome: 'local_error',
        errorCode: 'SYNACK_ERR_NO_ROUTE',
        startedAtMs: 1000,
      },
    ];
    const d = diagnose(input({ 'a/v6': local, 'b/v6': silent }));
    expect(d.verdict).not.toBe('network_path_drop');
  });

  it('does not name a queue overflow of another listener, nor a no-route without its counters', () => {
    expect(diagnose(input(all, { counterDeltas: { TcpExtListenOverflows: 9, TcpExtListenDrops: 9 } })).verdict).toBe(
      'unknown',
    );
    // The lookup back fails (a pre-NAT address, say) but the kernel counts no route failure.
    expect(diagnose(input({ 'a/v6': silent, 'b/v6': silent }, { routes: routes(['a/v6', 'b/v6']) })).verdict).toBe(
      'unknown',
    );
  });

  it('reads an unreachable from the server itself as its firewall, whatever the code', () => {
    const portUnreachable = (region: 'a' | 'b') => icmpAttempts(region, 'v4', 3, 3, SERVER.v4, 'port_unreachable');
    const d = diagnose(input({ 'a/v4': portUnreachable('a'), 'b/v4': portUnreachable('b') }));
    expect(d).toMatchObject({ verdict: 'firewall_reject', scope: { families: ['v4'], regions: ['a', 'b'] } });
  });

  it('calls a router’s host-unreachable a dead host only when no region gets through', () => {
    const dead = (region: 'a' | 'b') => icmpAttempts(region, 'v4', 3, 1, ROUTER.v4, 'host_unreachable');
    expect(diagnose(input({ 'a/v4': dead('a'), 'b/v4': dead('b') })).verdict).toBe('host_down');
    // Region a still gets SYN-ACKs over IPv4: b's path has the problem.
    expect(diagnose(input({ 'b/v4': dead('b') })).verdict).toBe('network_path_drop');
  });

  it('does not count a listener on loopback as serving the target', () => {
    const loopback = listeners().map((l) => ({ ...l, address: l.family === 'v4' ? '127.0.0.1' : '::1' }));
    const d = diagnose(input({ 'a/v4': rst, 'b/v4': rst }, { listeners: loopback, counterDeltas: { TcpOutRsts: 4 } }));
    expect(d.verdict).toBe('port_closed');
  });
});

describe('diagnose: a name with several addresses', () => {
  it('keeps each address apart: one dead host among live ones is that host, not a path', () => {
    const seen = (region: 'a' | 'b'): ObservedAttempt[] => [
      { region, family: 'v4', address: '203.0.113.10', kind: 'syn', outcome: 'synack', startedAtMs: 1000 },
      { region, family: 'v4', address: '203.0.113.10', kind: 'connect', outcome: 'established', startedAtMs: 1000 },
      {
        region,
        family: 'v4',
        address: '203.0.113.11',
        kind: 'syn',
        outcome: 'icmp',
        icmp: { type: 3, code: 1, from: ROUTER.v4, meaning: 'host_unreachable' },
        startedAtMs: 1000,
      },
      { region, family: 'v4', address: '203.0.113.11', kind: 'connect', outcome: 'unreachable', startedAtMs: 1000 },
    ];
    const d = diagnose({ ...input({}), attempts: [...seen('a'), ...seen('b')] });
    expect(d).toMatchObject({ verdict: 'host_down', scope: { families: ['v4'], regions: ['a', 'b'] } });
    expect(d.evidence).toContainEqual(expect.objectContaining({ source: 'probes', fact: 'a/v4 203.0.113.11' }));
  });
});

describe('diagnose: a default-deny firewall', () => {
  const policy = nftRule({
    table: 'filter',
    handle: 0,
    rule: 'policy drop (no counter)',
    verdict: 'drop',
    ports: [],
    packets: 0,
  });
  const region = { 'b/v4': silent, 'b/v6': silent } as const;

  it('is a blind spot for a path drop, unless a rule opens the port to every source', () => {
    expect(diagnose(input(region, { firewall: [policy] })).verdict).toBe('unknown');
    const open = portRule(5, 'accept', 90, 'filter');
    expect(diagnose(input(region, { firewall: [policy, open] })).verdict).toBe('network_path_drop');
    const allowList = nftRule({
      table: 'filter',
      handle: 6,
      rule: `ip saddr 10.1.0.0/24 tcp dport ${PORT} accept`,
      verdict: 'accept',
      ports: [PORT],
      packets: 90,
    });
    expect(diagnose(input(region, { firewall: [policy, allowList] })).verdict).toBe('unknown');
  });
});
