import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFirewallCounters } from './firewall-counters.ts';
import { renderNftRule } from './nft-rule-text.ts';
import { parseNftRuleset } from './parse-nft-ruleset.ts';
import { type RunTool, runTool } from './run-tool.ts';

// fixtures/nft-ruleset.nft loaded into a test namespace (nftables 1.0.6, kernel 6.18), one SYN
// sent to 127.0.0.1:8080 and one to [::1]:8080, then `nft -j list ruleset`.
const ruleset: unknown = JSON.parse(readFileSync(new URL('./fixtures/nft-ruleset.json', import.meta.url), 'utf8'));

describe('parseNftRuleset', () => {
  const rules = parseNftRuleset(ruleset, [8080, 443]);
  const find = (table: string, chain: string, handle: number) =>
    rules.find((rule) => rule.table === table && rule.chain === chain && rule.handle === handle);

  it('keeps rules matching a monitored port: equal, in a set, range, named set, verdict map, != and <', () => {
    expect(find('filter', 'input', 5)).toEqual({
      backend: 'nft',
      family: 'inet',
      table: 'filter',
      chain: 'input',
      handle: 5,
      rule: 'tcp dport 8080 counter packets 0 bytes 0 drop',
      verdict: 'drop',
      ports: [8080],
      packets: 0,
      bytes: 0,
    });
    expect(find('filter', 'input', 7)).toMatchObject({ verdict: 'reject with tcp reset', ports: [8080, 443] });
    expect(find('filter', 'input', 8)).toMatchObject({ verdict: 'reject with icmpx admin-prohibited', ports: [8080] });
    expect(find('filter', 'input', 9)).toMatchObject({ rule: 'th dport 8080 counter packets 0 bytes 0 accept' });
    expect(find('filter', 'input', 12)).toMatchObject({
      rule: 'tcp dport != 22 accept (no counter)',
      ports: [8080, 443],
    });
    expect(find('t2', 'in2', 6)).toMatchObject({
      rule: 'tcp dport vmap { 22 : accept, 8080 : drop } (no counter)',
      verdict: 'drop',
      ports: [8080],
    });
    expect(find('t2', 'in2', 7)).toMatchObject({
      rule: 'tcp dport @webports counter packets 0 bytes 0 accept',
      ports: [8080],
    });
    expect(find('t2', 'in2', 8)).toMatchObject({ ports: [443] });
    expect(find('t2', 'in2', 9)).toMatchObject({ verdict: 'reject with icmpv6 admin-prohibited', ports: [8080] });
  });

  it('reads counters, and says when a rule has none', () => {
    expect(find('raw6', 'pre', 2)).toMatchObject({ family: 'ip6', verdict: 'notrack', packets: 5, bytes: 300 });
    expect(find('nat', 'pre', 2)).toMatchObject({
      rule: 'tcp dport 8080 counter packets 0 bytes 0 dnat to 10.0.0.1:80',
      verdict: 'dnat',
    });
    expect(find('t2', 'in2', 12)).toMatchObject({ rule: 'th dport 8080 drop (no counter)', packets: 0 });
  });

  it('keeps drops and rejects without a port match in chains incoming packets traverse', () => {
    expect(find('filter', 'input', 10)).toMatchObject({
      rule: 'ip saddr @blocked counter packets 0 bytes 0 drop',
      ports: [],
    });
    expect(find('filter', 'input', 11)).toMatchObject({ rule: 'ct state invalid drop (no counter)' });
    expect(find('filter', 'input', 14)).toMatchObject({
      rule: 'iifname eth1 counter packets 0 bytes 0 reject with icmpx port-unreachable',
    });
    // Reached by jump/goto from an input or forward base chain: iptables-nft's user chains too.
    expect(find('filter', 'sub', 16)).toMatchObject({ verdict: 'drop' });
    expect(find('t2', 'chk', 17)).toMatchObject({ verdict: 'drop' });
    expect(find('filter', 'f2b-sshd', 8)).toMatchObject({ family: 'ip', verdict: 'reject with icmp port-unreachable' });
    expect(find('filter', 'forwarding', 15)).toMatchObject({ verdict: 'jump sub', ports: [8080] });
  });

  it('reports a drop policy of a base chain as handle 0', () => {
    expect(find('filter', 'INPUT', 0)).toMatchObject({
      family: 'ip',
      rule: 'policy drop (no counter)',
      verdict: 'drop',
    });
    expect(find('t2', 'in2', 0)).toMatchObject({ verdict: 'drop' });
    expect(find('filter', 'forwarding', 0)).toMatchObject({ verdict: 'drop' });
  });

  it('matches the source port where the SYN-ACK leaves', () => {
    expect(find('t2', 'out', 18)).toMatchObject({
      rule: 'tcp sport 8080 counter packets 0 bytes 0 drop',
      ports: [8080],
    });
    // Our loopback SYNs were dropped here on the way out: a rule for the server's own outgoing
    // connections, not for handshakes it answers.
    expect(find('t2', 'out', 19)).toBeUndefined();
  });

  it('leaves out other protocols, other ports and accepts without a port match', () => {
    // `udp dport 8080 drop`, the iptables-style `meta l4proto udp udp dport 8080`, `tcp dport 9000 accept`.
    expect(find('t2', 'in2', 10)).toBeUndefined();
    expect(find('filter', 'INPUT', 6)).toBeUndefined();
    expect(find('filter', 'input', 13)).toBeUndefined();
    expect(find('filter', 'INPUT', 4)).toBeUndefined();
    expect(find('filter', 'f2b-sshd', 9)).toBeUndefined();
  });

  it('reads iptables-nft REJECT targets, which nft shows as xtables extensions', () => {
    // What `iptables-nft -A INPUT -p tcp --dport 8080 -j REJECT --reject-with tcp-reset` and
    // `-m multiport --dports 8082,8083 -j REJECT` leave in `nft -j list ruleset` (iptables 1.8.9).
    const table = {
      family: 'ip',
      table: 'filter',
      name: 'INPUT',
      hook: 'input',
      type: 'filter',
      prio: 0,
      policy: 'accept',
    };
    const iptables = {
      nftables: [
        { chain: table },
        {
          rule: {
            family: 'ip',
            table: 'filter',
            chain: 'INPUT',
            handle: 2,
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 8080 } },
              { counter: { packets: 7, bytes: 420 } },
              { xt: { type: 'target', name: 'REJECT' } },
            ],
          },
        },
        {
          rule: {
            family: 'ip',
            table: 'filter',
            chain: 'INPUT',
            handle: 3,
            expr: [
              { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } },
              { xt: { type: 'match', name: 'multiport' } },
              { counter: { packets: 2, bytes: 120 } },
              { xt: { type: 'target', name: 'REJECT' } },
            ],
          },
        },
      ],
    };
    expect(parseNftRuleset(iptables, [8080]).map((r) => [r.handle, r.verdict, r.ports, r.packets])).toEqual([
      [2, 'reject (iptables REJECT)', [8080], 7],
      // The multiport match is opaque: a reject that may match any port.
      [3, 'reject (iptables REJECT)', [], 2],
    ]);
  });

  it('keeps nothing for an empty or foreign document', () => {
    expect(parseNftRuleset({ nftables: [] }, [8080])).toEqual([]);
    expect(parseNftRuleset(null, [8080])).toEqual([]);
    expect(
      parseNftRuleset({ nftables: [{ rule: { family: 'ip', table: 't', chain: 'c', handle: 1, expr: [] } }] }, [80]),
    ).toEqual([]);
  });
});

describe('renderNftRule', () => {
  it('cuts long rules', () => {
    const long = renderNftRule([
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: 'x'.repeat(600) } },
    ]);
    expect(long.length).toBe(500);
    expect(long.endsWith('...')).toBe(true);
  });
});

describe('readFirewallCounters', () => {
  it('says nft is not installed, and lists no rules', async () => {
    const missing: RunTool = async () => {
      throw Object.assign(new Error('spawn nft ENOENT'), { code: 'ENOENT' });
    };
    expect(await readFirewallCounters([8080], missing)).toEqual({
      value: [],
      sources: [{ source: 'nft -j list ruleset', ok: false, error: 'nft is not installed' }],
    });
  });

  it('passes on why nft failed (not root)', async () => {
    const denied: RunTool = async () => ({
      code: 1,
      stdout: '',
      stderr:
        'Operation not permitted (you must be root)\nnetlink: Error: cache initialization failed: Operation not permitted\n',
    });
    const { sources } = await readFirewallCounters([8080], denied);
    expect(sources[0]).toEqual({
      source: 'nft -j list ruleset',
      ok: false,
      error:
        'nft failed: Operation not permitted (you must be root); netlink: Error: cache initialization failed: Operation not permitted',
    });
  });
});

const isRoot = process.getuid?.() === 0;
const namespace = `synack-agent-fw-${process.pid}`;

describe.skipIf(!isRoot)('readFirewallCounters in a test namespace (needs root: skipped otherwise)', () => {
  const inNamespace: RunTool = (name, args) => runTool('ip', ['netns', 'exec', namespace, name, ...args]);
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', namespace]);
    execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    const rules =
      'table inet synack_test {\nchain input {\ntype filter hook input priority 0;\ntcp dport 8080 counter drop\n}\n}\n';
    execFileSync('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], { input: rules });
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' });
  });

  it('reads the counter of the rule that dropped a SYN', async () => {
    const empty = await readFirewallCounters([8080], inNamespace);
    expect(empty.value).toMatchObject([{ table: 'synack_test', chain: 'input', packets: 0 }]);
    // One SYN that the rule drops: the connect times out.
    const connect =
      "import socket\ns = socket.socket()\ns.settimeout(0.2)\ntry: s.connect(('127.0.0.1', 8080))\nexcept OSError: pass\n";
    execFileSync('ip', ['netns', 'exec', namespace, 'python3', '-c', connect]);
    const { value, sources } = await readFirewallCounters([8080], inNamespace);
    expect(sources).toEqual([{ source: 'nft -j list ruleset', ok: true }]);
    expect(value).toEqual([
      {
        backend: 'nft',
        family: 'inet',
        table: 'synack_test',
        chain: 'input',
        handle: expect.any(Number),
        rule: expect.stringMatching(/^tcp dport 8080 counter packets 1 bytes 60 drop$/),
        verdict: 'drop',
        ports: [8080],
        packets: 1,
        bytes: 60,
      },
    ]);
  });
});
