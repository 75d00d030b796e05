import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLabOrSkip } from './lab/lab-availability.ts';
import { createLab, type Lab } from './lab/netns-lab.ts';
import { labSynack } from './support/lab-probe.ts';
import { synackArgv } from './support/synack-cli.ts';

const PORT = 8080;

describe.skipIf(requireLabOrSkip())('synack trace and the CLI in a namespace lab (needs root)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab();
    await lab.listen(PORT);
    // A second port that drops SYNs, for the human timeline of a silent path.
    await lab.nft('server', 'table inet t { chain input { type filter hook input priority 0; tcp dport 9090 drop } }');
  });
  afterAll(async () => {
    await lab.destroy();
  });

  it.each([
    ['v4', (): string => lab.addresses.server.v4, (): string => lab.addresses.router.clientSide.v4, 11],
    ['v6', (): string => `[${lab.addresses.server.v6}]`, (): string => lab.addresses.router.clientSide.v6, 3],
  ] as const)(
    'traces over %s: the router answers time-exceeded, then the server SYN-ACKs',
    async (_f, server, router, exceededType) => {
      const { code, records } = await labSynack(lab, 'trace', `${server()}:${PORT}`, '--max-hops', '5');
      expect(code).toBe(0);
      const byTtl = new Map(records.map((r) => [r.sentTtl, r]));
      expect(byTtl.get(1)).toMatchObject({
        outcome: 'icmp',
        icmp: { type: exceededType, code: 0, from: router(), meaning: 'ttl_exceeded' },
      });
      expect(byTtl.get(2)).toMatchObject({ outcome: 'synack' });
    },
  );

  it('prints the trace as hops, stopping at the target', async () => {
    const { stdout, code } = await lab.exec(
      'client',
      synackArgv('trace', `${lab.addresses.server.v4}:${PORT}`, '-m', '8'),
    );
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toContain(`TRACE ${lab.addresses.server.v4}:${PORT}`);
    expect(lines[1]).toMatch(/^ 1 {2}192\.0\.2\.1 {2}[0-9.]+ ms {2}ICMP ttl-exceeded \(11\/0\)$/);
    expect(lines[2]).toMatch(/^ 2 {2}203\.0\.113\.10 {2}[0-9.]+ ms {2}SYN-ACK \(port open\)$/);
    expect(lines).toHaveLength(3);
  });

  it('reports each of --source-ports N SYNs, each from its own port', async () => {
    const { code, records } = await labSynack(
      lab,
      'probe',
      `${lab.addresses.server.v4}:${PORT}`,
      '--mode',
      'syn',
      '--source-ports',
      '8',
      '-c',
      '1',
    );
    expect(code).toBe(0);
    expect(records).toHaveLength(8);
    expect(records.every((r) => r.outcome === 'synack')).toBe(true);
    expect(new Set(records.map((r) => r.source?.port)).size).toBe(8);
  });

  it('prints a timeline per attempt and a ping-like summary', async () => {
    const { stdout, code } = await lab.exec(
      'client',
      synackArgv('probe', `${lab.addresses.server.v4}:9090`, '-c', '2', '-i', '100ms', '-t', '2500ms', '--mode', 'syn'),
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^syn +203\.0\.113\.10:9090 +from 192\.0\.2\.2:\d+ +SYN sent, retransmitted at \+1\.0 s, no answer after 2\.50 s$/m,
    );
    expect(stdout).toContain('--- 203.0.113.10:9090 statistics ---');
    expect(stdout).toContain('syn     203.0.113.10: 2 sent, 0 answered, 100% loss (2 timeout)');
  });
});
