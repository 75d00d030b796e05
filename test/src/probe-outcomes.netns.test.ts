import type { AttemptRecord } from '@synack/shared/attempt-record';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireLabOrSkip } from './lab/lab-availability.ts';
import { createLab, type Lab } from './lab/netns-lab.ts';
import { labCounter, probeBothFamilies } from './support/lab-probe.ts';
import { only } from './support/synack-cli.ts';

// Every case runs `synack probe --json` in the client namespace against a real kernel on the
// far side of a router: client -- router -- server, IPv4 and IPv6.

const PORT = 8080;
// SYNs at +0 and +1 s within 2.5 s: a silent path shows exactly one retransmission.
const SHORT = ['--timeout', '2500ms', '--rto', '1s'];

describe.skipIf(requireLabOrSkip())('synack probe against the kernel in a namespace lab (needs root)', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await createLab();
  });
  afterEach(async () => {
    await lab.destroy();
  });

  it('open port: SYN-ACK with the server’s options, and an established connect', async () => {
    await lab.listen(PORT);
    const [v4, v6] = await probeBothFamilies(lab, PORT, ...SHORT);
    expect(v4.code).toBe(0);
    expect(v6.code).toBe(0);
    expect(only(v4.records, 'syn')).toMatchObject({
      outcome: 'synack',
      retransmits: 0,
      source: { address: lab.addresses.client.v4 },
      target: { address: lab.addresses.server.v4, port: PORT, family: 'v4' },
      // One router between: the server's TTL of 64 arrives as 63.
      synack: { ttl: 63, mss: 1460, sackPermitted: true, timestamps: true },
    });
    expect(only(v6.records, 'syn')).toMatchObject({
      outcome: 'synack',
      source: { address: lab.addresses.client.v6 },
      // The hop limit comes from recvmsg() ancillary data (IPv6 raw sockets carry no IP header).
      synack: { ttl: 63, mss: 1440 },
    });
    for (const r of [...v4.records, ...v6.records]) {
      if (r.kind === 'connect') expect(r.outcome).toBe('established');
      expect(r.rttUs).toBeGreaterThan(0);
    }
  });

  it('closed port: RST, and connect refused', async () => {
    const [v4, v6] = await probeBothFamilies(lab, PORT + 1, ...SHORT);
    for (const result of [v4, v6]) {
      expect(result.code).toBe(1);
      expect(only(result.records, 'syn')).toMatchObject({ outcome: 'rst', retransmits: 0 });
      expect(only(result.records, 'connect')).toMatchObject({ outcome: 'refused', error: { code: 'ECONNREFUSED' } });
    }
  });

  it('server firewall rejects with admin-prohibited: ICMP from the server itself', async () => {
    await lab.listen(PORT);
    await lab.nft(
      'server',
      `table inet t { chain input { type filter hook input priority 0; tcp dport ${PORT} reject with icmpx type admin-prohibited } }`,
    );
    const [v4, v6] = await probeBothFamilies(lab, PORT, ...SHORT);
    expect(only(v4.records, 'syn')).toMatchObject({
      outcome: 'icmp',
      icmp: { type: 3, code: 13, from: lab.addresses.server.v4, meaning: 'admin_prohibited' },
    });
    expect(only(v6.records, 'syn')).toMatchObject({
      outcome: 'icmp',
      icmp: { type: 1, code: 1, from: lab.addresses.server.v6, meaning: 'admin_prohibited' },
    });
    expect(only(v4.records, 'connect')).toMatchObject({ outcome: 'unreachable', error: { code: 'EHOSTUNREACH' } });
    expect(only(v6.records, 'connect')).toMatchObject({ outcome: 'unreachable', error: { code: 'EACCES' } });
  });

  it('server firewall drops: silence, with the SYN retransmitted on schedule', async () => {
    await lab.listen(PORT);
    await lab.nft(
      'server',
      `table inet t { chain input { type filter hook input priority 0; tcp dport ${PORT} counter drop } }`,
    );
    const [v4, v6] = await probeBothFamilies(lab, PORT, ...SHORT);
    for (const result of [v4, v6]) {
      const syn = only(result.records, 'syn');
      expect(syn).toMatchObject({ outcome: 'timeout', retransmits: 1, rttUs: null });
      const [first, second] = syn.synSentUs as [number, number];
      expect(second - first).toBeGreaterThanOrEqual(1_000_000);
      // Timers may fire late on a loaded host, never early.
      expect(second - first).toBeLessThan(1_300_000);
      expect(only(result.records, 'connect')).toMatchObject({ outcome: 'timeout', retransmits: 1 });
    }
  });

  it('server lost its IPv6 default route: v6 silence while v4 answers (ListenDrops = Ip6OutNoRoutes)', async () => {
    await lab.listen(PORT);
    await lab.run('server', ['ip', '-6', 'route', 'del', 'default']);
    const [drops, noRoutes] = [
      await labCounter(lab, 'server', 'TcpExtListenDrops'),
      await labCounter(lab, 'server', 'Ip6OutNoRoutes'),
    ];
    const [v4, v6] = await probeBothFamilies(lab, PORT, ...SHORT);
    expect(only(v4.records, 'syn').outcome).toBe('synack');
    expect(only(v4.records, 'connect').outcome).toBe('established');
    expect(only(v6.records, 'syn')).toMatchObject({ outcome: 'timeout', retransmits: 1 });
    expect(only(v6.records, 'connect')).toMatchObject({ outcome: 'timeout' });
    // The server received every v6 SYN and dropped it for want of a route back (tcp_conn_request()).
    const dropped = (await labCounter(lab, 'server', 'TcpExtListenDrops')) - drops;
    expect(dropped).toBeGreaterThanOrEqual(3);
    expect((await labCounter(lab, 'server', 'Ip6OutNoRoutes')) - noRoutes).toBe(dropped);
  });

  it('router has no route to the server: ICMP net-unreachable from the router', async () => {
    await lab.run('router', ['ip', 'route', 'del', '203.0.113.0/24']);
    await lab.run('router', ['ip', '-6', 'route', 'del', '2001:db8:5::/64']);
    const [v4, v6] = await probeBothFamilies(lab, PORT, ...SHORT);
    expect(only(v4.records, 'syn')).toMatchObject({
      outcome: 'icmp',
      icmp: { type: 3, code: 0, from: lab.addresses.router.clientSide.v4, meaning: 'network_unreachable' },
    });
    expect(only(v6.records, 'syn')).toMatchObject({
      outcome: 'icmp',
      icmp: { type: 1, code: 0, from: lab.addresses.router.clientSide.v6, meaning: 'network_unreachable' },
    });
    for (const result of [v4, v6]) {
      expect(only(result.records, 'connect')).toMatchObject({ outcome: 'unreachable', error: { code: 'ENETUNREACH' } });
    }
  });

  it('server link down: ICMP host-unreachable from the router once neighbour discovery fails', async () => {
    await lab.run('server', ['ip', 'link', 'set', 'eth0', 'down']);
    const [v4, v6] = await probeBothFamilies(lab, PORT, '--timeout', '6s');
    expect(only(v4.records, 'syn')).toMatchObject({
      outcome: 'icmp',
      icmp: { type: 3, code: 1, from: lab.addresses.router.clientSide.v4, meaning: 'host_unreachable' },
    });
    expect(only(v6.records, 'syn')).toMatchObject({
      outcome: 'icmp',
      icmp: { type: 1, code: 3, from: lab.addresses.router.clientSide.v6, meaning: 'host_unreachable' },
    });
    for (const result of [v4, v6]) {
      const syn = only(result.records, 'syn');
      // ARP/ND gives up after about 3 s (3 probes, 1 s apart).
      expect(syn.answerUs).toBeGreaterThan(2_000_000);
      expect(only(result.records, 'connect')).toMatchObject({
        outcome: 'unreachable',
        error: { code: 'EHOSTUNREACH' },
      });
    }
  });

  it('runner firewall drops its own SYNs: the raw SYN names it, connect() only times out', async () => {
    await lab.listen(PORT);
    await lab.nft(
      'client',
      `table inet t { chain output { type filter hook output priority 0; tcp dport ${PORT} drop } }`,
    );
    const [v4, v6] = await probeBothFamilies(lab, PORT, ...SHORT);
    for (const result of [v4, v6]) {
      expect(only(result.records, 'syn')).toMatchObject({
        outcome: 'local_error',
        error: { code: 'SYNACK_ERR_LOCAL_FIREWALL' },
      });
      // tcp_transmit_skb() keeps the netfilter EPERM to itself and the RTO retries: no errno.
      expect(only(result.records, 'connect')).toMatchObject({ outcome: 'timeout', retransmits: 1 });
    }
  });

  it('runner has no route: local_error at once, nothing sent', async () => {
    await lab.run('client', ['ip', 'route', 'del', 'default']);
    await lab.run('client', ['ip', '-6', 'route', 'del', 'default']);
    const [v4, v6] = await probeBothFamilies(lab, PORT, ...SHORT);
    for (const result of [v4, v6]) {
      const records: AttemptRecord[] = result.records;
      expect(only(records, 'syn')).toMatchObject({
        outcome: 'local_error',
        error: { code: 'SYNACK_ERR_NO_ROUTE' },
        synSentUs: [],
      });
      expect(only(records, 'connect')).toMatchObject({
        outcome: 'local_error',
        error: { code: 'SYNACK_ERR_NO_ROUTE' },
      });
    }
  });
});
