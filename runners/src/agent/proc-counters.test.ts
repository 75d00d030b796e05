import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { counterDeltas } from './counter-deltas.ts';
import { parseProcCounters } from './parse-proc-counters.ts';
import { readProcCounters } from './proc-counters.ts';

// Copied from this machine's /proc/net (kernel 6.18).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseProcCounters', () => {
  it('joins header and value lines of /proc/net/snmp into nstat names', () => {
    const counters = parseProcCounters(fixture('snmp.txt'));
    expect(counters).toMatchObject({
      IpInReceives: 631454,
      IpOutNoRoutes: 0,
      IpOutTransmits: 573161,
      IcmpInDestUnreachs: 2,
      IcmpOutDestUnreachs: 0,
      IcmpMsgInType3: 2,
      TcpOutRsts: 85571,
      TcpMaxConn: -1,
      UdpLiteInDatagrams: 0,
    });
  });

  it('reads TcpExt and IpExt from /proc/net/netstat', () => {
    const counters = parseProcCounters(fixture('netstat.txt'));
    expect(counters).toMatchObject({
      TcpExtListenOverflows: 111,
      TcpExtListenDrops: 111,
      TcpExtTCPReqQFullDrop: 0,
      TcpExtTCPSynRetrans: 87,
      TcpExtIPReversePathFilter: 0,
      IpExtInOctets: 7826841405,
    });
    // MPTcpExt's header line ends in a space; its values are still paired.
    expect(counters.MPTcpExtMPCapableSYNRX).toBe(0);
  });

  it('reads the name-value lines of /proc/net/snmp6', () => {
    const counters = parseProcCounters(fixture('snmp6.txt'));
    expect(counters).toMatchObject({
      Ip6OutNoRoutes: 1,
      Icmp6OutDestUnreachs: 3,
      Icmp6InType1: 3,
      Ip6InReceives: 126544,
    });
  });

  it('skips a header line whose value line is missing or has another prefix', () => {
    expect(parseProcCounters('Tcp: A B\nUdp: X\nUdp: 3\n')).toEqual({ UdpX: 3 });
    expect(parseProcCounters('Tcp: A B')).toEqual({});
    expect(parseProcCounters('')).toEqual({});
  });
});

describe('counterDeltas', () => {
  it('lists only counters that rose, by how much', () => {
    expect(counterDeltas({ TcpOutRsts: 5, TcpExtListenDrops: 2 }, { TcpOutRsts: 9, TcpExtListenDrops: 2 })).toEqual({
      TcpOutRsts: 4,
    });
  });

  it('counts a counter that appeared from zero', () => {
    expect(counterDeltas({}, { IcmpMsgOutType3: 4 })).toEqual({ IcmpMsgOutType3: 4 });
  });

  it('takes a counter that went backwards as reset: its current value, never negative', () => {
    expect(counterDeltas({ TcpOutRsts: 1000 }, { TcpOutRsts: 7 })).toEqual({ TcpOutRsts: 7 });
    expect(counterDeltas({ TcpOutRsts: 1000 }, { TcpOutRsts: 0 })).toEqual({});
  });

  it('skips settings and gauges (nstat does too)', () => {
    expect(
      counterDeltas({ TcpCurrEstab: 9, TcpMaxConn: -1 }, { TcpCurrEstab: 3, TcpMaxConn: -1, IpDefaultTTL: 64 }),
    ).toEqual({});
  });

  it('finds the movement between two real snapshots of the same files', () => {
    const before = parseProcCounters(fixture('netstat.txt'));
    const after = { ...before, TcpExtListenDrops: (before.TcpExtListenDrops ?? 0) + 5 };
    expect(counterDeltas(before, after)).toEqual({ TcpExtListenDrops: 5 });
  });
});

describe('readProcCounters', () => {
  it('reads this namespace’s files', async () => {
    const { value, sources } = await readProcCounters();
    expect(sources.filter((source) => source.source !== '/proc/net/snmp6').every((source) => source.ok)).toBe(true);
    expect(value.TcpActiveOpens).toBeGreaterThanOrEqual(0);
    expect(value.TcpExtListenDrops).toBeGreaterThanOrEqual(0);
  });

  it('reports a missing file in its status and keeps the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synack-proc-'));
    try {
      await writeFile(join(dir, 'snmp'), 'Tcp: OutRsts\nTcp: 4\n');
      await writeFile(join(dir, 'netstat'), 'TcpExt: ListenDrops\nTcpExt: 2\n');
      const { value, sources } = await readProcCounters(dir);
      expect(value).toEqual({ TcpOutRsts: 4, TcpExtListenDrops: 2 });
      expect(sources.map((source) => source.ok)).toEqual([true, true, false]);
      expect(sources[2]?.error).toMatch(/^ENOENT/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
