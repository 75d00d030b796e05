import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SourceResolver } from '@synack/runners/net/source-address';
import { addressToBytes } from '@synack/runners/packet/ip-address-bytes';
import { flowKey, matchTcpReply } from '@synack/runners/packet/reply-matcher';
import { encodeSyn } from '@synack/runners/packet/syn-encoder';
import { RawTransport } from '@synack/runners/syn/raw-transport';
import { SynEngine } from '@synack/runners/syn/syn-engine';
import type { ProbeTarget } from '@synack/shared/attempt-record';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRawOrSkip } from './support/require-raw-or-skip.ts';
import { only, parseRecords, synackArgv } from './support/synack-cli.ts';
import { waitFor } from './support/wait-for.ts';

// Raw sockets on this host's loopback only: root (CAP_NET_RAW) needed, no traffic leaves the host.

const policy = { timeoutMs: 2000, rtoMs: 1000, maxRetransmits: 1 };

function listen(host: string): Promise<Server> {
  const server = createServer((s) => s.destroy());
  return new Promise((resolve) => server.listen({ port: 0, host, ipv6Only: host === '::1' }, () => resolve(server)));
}
const portOf = (s: Server) => (s.address() as AddressInfo).port;
const target = (address: string, port: number): ProbeTarget => ({
  name: address,
  address,
  port,
  family: address.includes(':') ? 'v6' : 'v4',
});

function tcpCounter(name: string): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Tcp:'));
  const keys = (lines[0] ?? '').split(/\s+/);
  const values = (lines[1] ?? '').split(/\s+/);
  return Number(values[keys.indexOf(name)]);
}

describe.skipIf(requireRawOrSkip())('SYN engine against the kernel on loopback (needs root)', () => {
  let engine: SynEngine;
  const servers: Server[] = [];

  beforeAll(() => {
    engine = new SynEngine({ rawAllowed: true, sources: new SourceResolver() });
  });
  afterAll(() => {
    engine.close();
    for (const s of servers) s.close();
  });

  it('gets a SYN-ACK from an open port over IPv4 and IPv6, with its options and RTT', async () => {
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    servers.push(v4, v6);
    const [r4, r6] = await Promise.all([
      engine.probe({ target: target('127.0.0.1', portOf(v4)), policy }),
      engine.probe({ target: target('::1', portOf(v6)), policy }),
    ]);
    for (const r of [r4, r6]) {
      expect(r).toMatchObject({ kind: 'syn', outcome: 'synack', retransmits: 0, answeredSyn: 0 });
      expect(r?.rttUs).toBeGreaterThan(0);
      expect(r?.rttUs).toBeLessThan(1_000_000);
      if (r?.kind === 'syn') expect(r.synack).toMatchObject({ sackPermitted: true, timestamps: true });
    }
    expect(r4?.kind === 'syn' && r4.synack?.ttl).toBe(64);
    expect(r6?.kind === 'syn' && r6.synack?.ttl).toBe(64);
  });

  it('takes the RST-ACK of a closed port', async () => {
    const s = await listen('127.0.0.1');
    const port = portOf(s);
    await new Promise((r) => s.close(r));
    const r = await engine.probe({ target: target('127.0.0.1', port), policy });
    expect(r).toMatchObject({ outcome: 'rst', retransmits: 0 });
  });

  it('matches 2,000 concurrent attempts on one raw socket per family', async () => {
    const listeners = await Promise.all(Array.from({ length: 10 }, (_, i) => listen(i % 2 ? '::1' : '127.0.0.1')));
    servers.push(...listeners);
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const all = Array.from({ length: 2000 }, (_, i) => {
      const s = listeners[i % listeners.length] as Server;
      const host = (s.address() as AddressInfo).address;
      return engine.probe({ target: target(host, portOf(s)), policy });
    });
    const records = await Promise.all(all);
    const fdsAfter = readdirSync('/proc/self/fd').length;
    expect(records.filter((r) => r.outcome === 'synack')).toHaveLength(2000);
    expect(new Set(records.map((r) => r.id)).size).toBe(2000);
    expect(engine.stats.peakInFlight).toBeGreaterThan(1000);
    // The engine's sockets were opened by the first test; thousands in flight add none.
    expect(fdsAfter - fdsBefore).toBeLessThan(5);
  });

  it('computes checksums the kernel accepts, and the kernel drops a corrupted one', async () => {
    const s = await listen('127.0.0.1');
    servers.push(s);
    const port = portOf(s);
    const answers: string[] = [];
    const flows = new Map(
      [41001, 41002].map((sourcePort) => [
        flowKey(port, sourcePort),
        {
          targetAddress: '127.0.0.1',
          targetPort: port,
          sourcePort,
          seq: 1000 + sourcePort,
          sourceBytes: addressToBytes('127.0.0.1'),
          targetBytes: addressToBytes('127.0.0.1'),
        },
      ]),
    );
    const transport = new RawTransport(
      'v4',
      (bytes, length, peer, hopLimit) => {
        const m = matchTcpReply('v4', bytes, length, peer, hopLimit, (k) => flows.get(k));
        if (m.kind === 'synack') answers.push(`synack:${m.probe.sourcePort}`);
      },
      () => {},
      () => {},
    );
    try {
      const syn = (sourcePort: number) =>
        encodeSyn({
          family: 'v4',
          source: addressToBytes('127.0.0.1'),
          destination: addressToBytes('127.0.0.1'),
          sourcePort,
          destinationPort: port,
          seq: 1000 + sourcePort,
          tsVal: 1,
        });
      const csumErrors = tcpCounter('InCsumErrors');
      const bad = syn(41002);
      bad.writeUInt16BE(bad.readUInt16BE(36) ^ 0x5a5a, 36);
      expect(transport.send(bad, '127.0.0.1')).toBeNull();
      await waitFor(() => tcpCounter('InCsumErrors') > csumErrors, 5000, 'TcpInCsumErrors to count the corrupted SYN');
      expect(transport.send(syn(41001), '127.0.0.1')).toBeNull();
      await waitFor(() => answers.includes('synack:41001'), 5000, 'a SYN-ACK to the well-formed SYN');
      expect(answers).not.toContain('synack:41002');
    } finally {
      transport.close();
    }
  });

  it.each(['127.0.0.1', '::1'])(
    'settles each attempt to %s as soon as its answer is read, with nothing else waking the process',
    async (address) => {
      const child = fileURLToPath(new URL('./support/resolve-lag-child.ts', import.meta.url));
      // --trace-exit: should the child ever leave early (CI once saw it exit 0 having printed
      // nothing), its stderr says from where.
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--trace-exit', child, address], {
        timeout: 30_000,
      }).catch((error: { stdout?: string; stderr?: string; signal?: string }) => {
        // What the child printed tells a hang from a crash.
        throw new Error(
          `resolve-lag child ${error.signal ?? 'failed'}: stdout ${JSON.stringify(error.stdout)}, stderr ${JSON.stringify(error.stderr?.slice(0, 2000))}`,
        );
      });
      expect(stderr, 'attempts without an answer, or an early exit').toBe('');
      expect(stdout, 'the child printed its lags').toMatch(/^\[.*\]\n$/);
      const lags = JSON.parse(stdout) as number[];
      expect(lags).toHaveLength(10);
      expect(Math.max(...lags)).toBeLessThan(100);
    },
  );

  it('without raw privilege, SYN probes report SYNACK_ERR_RAW_SOCKET_DENIED and connect probes still work', async () => {
    const s = await listen('127.0.0.1');
    servers.push(s);
    // setpriv empties the bounding set, so even uid 0 runs with no capabilities at all: a real
    // unprivileged process that can still read a checkout only root may read (CI's clone).
    const { stdout, code } = await promisify(execFile)('setpriv', [
      '--inh-caps=-all',
      '--ambient-caps=-all',
      '--bounding-set=-all',
      ...synackArgv('probe', `127.0.0.1:${portOf(s)}`, '--count', '1', '--json'),
    ])
      .then(({ stdout }) => ({ stdout, code: 0 }))
      .catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code }));
    // Not every attempt answered (the SYN could not be sent): exit 1, not a crash or a usage error.
    expect(code).toBe(1);
    const records = parseRecords(stdout);
    expect(only(records, 'syn')).toMatchObject({
      outcome: 'local_error',
      error: { code: 'SYNACK_ERR_RAW_SOCKET_DENIED' },
      synSentUs: [],
    });
    expect(only(records, 'connect')).toMatchObject({ outcome: 'established' });
  });
});
