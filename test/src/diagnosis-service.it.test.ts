import { SnapshotStore } from '@synack/collector/agents/snapshot-store';
import { DiagnosisService } from '@synack/collector/diagnosis/diagnosis-service';
import { generateSigningKey } from '@synack/shared/signing-key';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentSnapshot, ingestTimeout } from './support/diagnosis-fixtures.ts';
import { silent, testConfig } from './support/pipeline.ts';
import { redisForFile } from './support/redis-for-file.ts';
import { waitForAsync } from './support/wait-for.ts';

// The diagnosis service against a real Redis, with time in the test's hands: it waits for an
// agent snapshot that covers the failure, and two collectors diagnose a target only once.
const fixture = redisForFile();
let redis: Redis;
let server: { url: string };

beforeAll(() => {
  redis = fixture.redis;
  server = fixture.server;
});

const YAML = `regions: [a, b]
allow: [{ cidr: 203.0.113.0/24, ports: "80" }]
agents:
  - { id: srv, public_key: "${generateSigningKey().publicKey.key}", targets: [web] }
targets:
  - { name: web, address: 203.0.113.10, port: 80 }
`;

async function failed(prefix: string, region: string, startedAtMs: number) {
  for (const kind of ['syn', 'connect'] as const) await ingestTimeout(redis, prefix, 'web', region, kind, startedAtMs);
  await redis.hset(`${prefix}:failing`, 'web', String(startedAtMs));
}

const snapshot = (atMs: number, sinceMs: number, deltas: Record<string, number>) =>
  agentSnapshot(atMs, sinceMs, deltas);

describe('DiagnosisService', () => {
  it('waits for a snapshot that covers the failure, ignoring an earlier fault’s counters', async () => {
    const config = testConfig(YAML, server.url);
    const snapshots = new SnapshotStore(redis, () => config.prefix);
    let clock = Date.now();
    const service = new DiagnosisService({ config: () => config, redis, logger: silent, now: () => clock });
    const t0 = clock;
    // The last snapshot before the failure still counts an earlier fault's accept-queue overflows.
    await snapshots.save(snapshot(t0 - 5500, t0 - 10_500, { TcpExtListenOverflows: 40, TcpExtListenDrops: 40 }));
    await failed(config.prefix, 'a', t0);
    await failed(config.prefix, 'b', t0 + 100);
    clock = t0 + 1000;
    expect(await service.diagnoseTarget('web')).toBeNull();
    // It asked the agent for a snapshot at once.
    expect(await snapshots.takeRequest('srv')).toBe(true);
    // A snapshot reaching well before the failure's start (beyond the second of slack) mixes
    // before and after: still not enough.
    await snapshots.save(snapshot(t0 + 1100, t0 - 5500, { TcpExtListenOverflows: 3, TcpExtListenDrops: 3 }));
    clock = t0 + 1200;
    expect(await service.diagnoseTarget('web')).toBeNull();
    // One wholly inside the failure, spanning failed attempts: the server shows the SYNs dropped
    // for want of a route, and nothing of the earlier fault.
    await failed(config.prefix, 'a', t0 + 1500);
    await snapshots.save(
      snapshot(t0 + 2500, t0 + 1100, { TcpExtListenDrops: 2, IpOutNoRoutes: 2, TcpExtListenOverflows: 0 }),
    );
    clock = t0 + 2600;
    const record = await service.diagnoseTarget('web');
    expect(record).toMatchObject({ verdict: 'unknown', status: 'open' });
    const facts = Object.fromEntries((record?.evidence ?? []).map((e) => [e.fact, e.value]));
    expect(facts.TcpExtListenOverflows).toBeUndefined();
    expect(facts.IpOutNoRoutes).toBe(2);
  });

  it('takes a snapshot that starts within a second before the failure, spanning its first SYN', async () => {
    const config = testConfig(YAML, server.url);
    const snapshots = new SnapshotStore(redis, () => config.prefix);
    let clock = Date.now();
    const service = new DiagnosisService({ config: () => config, redis, logger: silent, now: () => clock });
    const t0 = clock;
    await failed(config.prefix, 'a', t0);
    await failed(config.prefix, 'b', t0);
    await snapshots.save(snapshot(t0 + 300, t0 - 700, { TcpExtListenDrops: 2, IpOutNoRoutes: 2 }));
    clock = t0 + 4100;
    const record = await service.diagnoseTarget('web');
    expect(record?.status).toBe('open');
    expect(record?.evidence).toContainEqual(expect.objectContaining({ fact: 'IpOutNoRoutes', value: 2 }));
  });

  it('goes without the agent after a while when it stays silent, and says so', async () => {
    const config = testConfig(YAML, server.url);
    let clock = Date.now();
    const service = new DiagnosisService({ config: () => config, redis, logger: silent, now: () => clock });
    const t0 = clock;
    await failed(config.prefix, 'a', t0);
    await failed(config.prefix, 'b', t0);
    clock = t0 + 1000;
    expect(await service.diagnoseTarget('web')).toBeNull();
    clock = t0 + 12_000;
    const record = await service.diagnoseTarget('web');
    expect(record?.verdict).toBe('unknown');
    expect(record?.evidence).toContainEqual(
      expect.objectContaining({ source: 'agent', value: expect.stringMatching(/has not reported/) }),
    );
  });

  it('lets one collector at a time diagnose a target', async () => {
    const config = testConfig(YAML, server.url);
    const t0 = Date.now();
    await failed(config.prefix, 'a', t0 - 20_000);
    await failed(config.prefix, 'b', t0 - 20_000);
    const services = [1, 2].map(
      () => new DiagnosisService({ config: () => config, redis, logger: silent, tickMs: 50 }),
    );
    for (const s of services) s.start();
    try {
      // The agent never reports: after its wait, one verdict is published, by one collector.
      await waitForAsync(async () => (await redis.llen(`${config.prefix}:diag-log:web`)) > 0, 20_000, 'a verdict');
      const runs = services.map((s) => s.stats.runs);
      expect(runs.filter((n) => n > 0)).toHaveLength(1);
      expect(await redis.llen(`${config.prefix}:diag-log:web`)).toBe(1);
    } finally {
      for (const s of services) await s.stop();
    }
  }, 30_000);
});
