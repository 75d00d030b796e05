import type { Server } from 'node:net';
import type { TargetStatus } from '@synack/collector/api/target-status';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { ProbeJob } from '@synack/shared/wire/probe-job';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, collector, connectRunner, listener, scheduler, testConfig } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { signedJob, templateJob } from './support/test-signing.ts';
import { waitForAsync } from './support/wait-for.ts';

// Needs redis-server (scripts/setup and .ci/run install it); no root: connect probes only.
describe('scheduled probing through Redis: scheduler, two regions of runners, collector', () => {
  let redis: TestRedis;
  let open: { server: Server; port: number };
  let closed: number;
  let config: ReturnType<typeof testConfig>;
  let client: Redis;
  const stops: (() => Promise<void>)[] = [];
  let api: Awaited<ReturnType<typeof collector>>;
  let api2: Awaited<ReturnType<typeof collector>>;
  let r1a: ReturnType<typeof connectRunner>;
  let r1b: ReturnType<typeof connectRunner>;
  let r2a: ReturnType<typeof connectRunner>;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    open = await listener();
    closed = await closedPort();
    config = testConfig(
      `regions: [r1, r2]
allow:
  - { cidr: 127.0.0.1/32, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
runner:
  control: { address: 127.0.0.1, port: ${open.port}, interval: 1s }
  controls: { r2: { address: 127.0.0.1, port: ${closed}, interval: 1s } }
targets:
  - { name: open, address: 127.0.0.1, port: ${open.port} }
  - { name: closed, address: 127.0.0.1, port: ${closed}, regions: [r1], interval: 4s, failing_interval: 1s }
${Array.from({ length: 8 }, (_, i) => `  - { name: extra-${i}, address: 127.0.0.1, port: ${open.port}, regions: [r1] }`).join('\n')}
`,
      redis.url,
    );
    const s = scheduler(config);
    s.service.start();
    stops.push(s.stop);
    r1a = connectRunner(config, 'r1', 'r1-a');
    r1b = connectRunner(config, 'r1', 'r1-b');
    r2a = connectRunner(config, 'r2', 'r2-a');
    for (const r of [r1a, r1b, r2a]) {
      r.runner.start();
      stops.push(r.stop);
    }
    api = await collector(config);
    stops.push(api.stop);
    // A second collector beside it: they share the results queue and the store.
    api2 = await collector(config);
    stops.push(api2.stop);
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    open?.server.close();
    client?.disconnect();
    await redis?.cleanup();
  });

  const outcomesOf = (body: { targets: TargetStatus[] }) => body.targets.map((t) => [t.target, t.region, t.kind]);
  const targets = async () => (await api.get<{ targets: TargetStatus[] }>('/v1/targets')).targets;

  it('probes every target in its regions on schedule, and the API shows outcomes per region', async () => {
    await waitForAsync(
      async () => {
        const rows = await targets();
        return (
          rows.filter((r) => r.target === 'open' && r.attempts5m >= 2).length === 2 &&
          rows.some((r) => r.target === 'closed')
        );
      },
      15_000,
      'two rounds of the open target in both regions',
    );
    const rows = await targets();
    expect(
      rows.filter((r) => r.target === 'open').map((r) => [r.region, r.kind, r.lastOutcome, r.successRatio5m]),
    ).toEqual([
      ['r1', 'connect', 'established', 1],
      ['r2', 'connect', 'established', 1],
    ]);
    expect(rows.filter((r) => r.target === 'closed').map((r) => [r.region, r.lastOutcome, r.successRatio5m])).toEqual([
      ['r1', 'refused', 0],
    ]);
    // Every region's attempts count on their own: nothing in normal operation is a duplicate.
    await waitForAsync(
      async () => api.handle.consumer.stats.ingested > 0 && api2.handle.consumer.stats.ingested > 0,
      10_000,
      'both collectors to ingest',
    );
    expect(api.handle.consumer.stats.duplicates + api2.handle.consumer.stats.duplicates).toBe(0);
    // Either one serves the same view.
    expect(outcomesOf(await api2.get<{ targets: TargetStatus[] }>('/v1/targets'))).toEqual(
      outcomesOf(await api.get<{ targets: TargetStatus[] }>('/v1/targets')),
    );
    const attempts = (
      await api.get<{ attempts: (AttemptRecord & { dueAtMs: number; region: string })[] }>(
        '/v1/attempts?target=open&region=r2&limit=5',
      )
    ).attempts;
    expect(attempts.length).toBeGreaterThan(0);
    for (const a of attempts) {
      expect(a.region).toBe('r2');
      // Each attempt starts at its own slot, not on a shared boundary (and not early).
      expect(Date.parse(a.startedAt) - a.dueAtMs).toBeGreaterThanOrEqual(-5);
      expect(Date.parse(a.startedAt) - a.dueAtMs).toBeLessThan(250);
    }
  });

  it('shares a region between its runners and lists the live ones', async () => {
    await waitForAsync(
      async () => r1a.runner.stats.jobs > 0 && r1b.runner.stats.jobs > 0,
      20_000,
      'both r1 runners to take jobs',
    );
    type Live = { id: string; region: string; control: { ok: boolean; outcome: string } | null };
    const live = async () => (await api.get<{ runners: Live[] }>('/v1/runners')).runners;
    // Each runner checks itself against its region's control target: r2's is down on purpose.
    await waitForAsync(
      async () => (await live()).every((r) => r.control !== null),
      10_000,
      'control results in heartbeats',
    );
    expect((await live()).map((r) => [`${r.region}/${r.id}`, r.control?.ok, r.control?.outcome])).toEqual([
      ['r1/r1-a', true, 'established'],
      ['r1/r1-b', true, 'established'],
      ['r2/r2-a', false, 'refused'],
    ]);
  });

  it('probes a failing target faster until it recovers', async () => {
    const queue = new Queue('probe-r1', { connection: client, prefix: config.prefix });
    const everyOf = async (name: string) =>
      (await queue.getJobSchedulers(0, -1))
        .filter((s) => templateJob(s.template?.data)?.targets.some((t) => t.name === name))
        .map((s) => s.every);
    try {
      await waitForAsync(
        async () => (await client.hget(`${config.prefix}:failing`, 'closed')) === 'r1/connect/v4',
        10_000,
        'closed to be failing',
      );
      await waitForAsync(async () => (await everyOf('closed')).join() === '1000', 10_000, 'its failing interval');
      expect(await everyOf('open')).toEqual([1000]);
      // The service comes back: the next probe succeeds and the target returns to its interval.
      const back = await listener('127.0.0.1', closed);
      try {
        await waitForAsync(
          async () => (await client.hget(`${config.prefix}:failing`, 'closed')) === null,
          10_000,
          'recovery',
        );
        await waitForAsync(async () => (await everyOf('closed')).join() === '4000', 10_000, 'its normal interval');
      } finally {
        back.server.close();
      }
    } finally {
      await queue.close();
    }
  });

  it('refuses a signed job for a target outside allow (the allow-list still holds), and probes nothing', async () => {
    const queue = new Queue('probe-r2', { connection: client, prefix: config.prefix });
    // 127.0.0.2 answers on loopback, but allow holds 127.0.0.1/32 only: a probe would be seen here.
    const outside = await listener('127.0.0.2');
    let connections = 0;
    outside.server.on('connection', () => connections++);
    try {
      await queue.add(
        'evil',
        signedJob({
          v: 1,
          origin: 'on_demand',
          region: 'r2',
          requestId: 'evil-1',
          issuedAtMs: Date.now(),
          targets: [
            {
              name: 'evil',
              address: '127.0.0.2',
              port: outside.port,
              probes: ['connect'],
              families: ['v4'],
              timeoutMs: 500,
              atMs: 0,
            },
            // The same, written as an IPv4-mapped IPv6 address.
            {
              name: 'evil6',
              address: '::ffff:127.0.0.2',
              port: outside.port,
              probes: ['connect'],
              families: ['v6'],
              timeoutMs: 500,
              atMs: 0,
            },
          ],
        }),
      );
      await waitForAsync(
        async () => (await client.lrange(`${config.prefix}:od:evil-1`, 0, -1)).some((t) => JSON.parse(t).done),
        10_000,
        'the job to finish',
      );
      const items = (await client.lrange(`${config.prefix}:od:evil-1`, 0, -1))
        .map((t) => JSON.parse(t))
        .filter((x) => !x.done);
      expect(items).toHaveLength(2);
      for (const item of items) {
        expect(item.record).toMatchObject({
          outcome: 'local_error',
          error: { code: 'SYNACK_ERR_NOT_ALLOWED' },
          source: null,
          synSentUs: [],
        });
      }
      expect(connections).toBe(0);
    } finally {
      outside.server.close();
      await queue.close();
    }
  });

  it('counts a malformed job and a bad result batch, and keeps working', async () => {
    const probeQueue = new Queue('probe-r2', { connection: client, prefix: config.prefix });
    const results = new Queue('results', { connection: client, prefix: config.prefix });
    try {
      const before = r2a.runner.stats.badJobs;
      // Signed, so that it gets past the signature to the schema.
      await probeQueue.add(
        'junk',
        signedJob({ v: 1, origin: 'scheduled', targets: 'all of them' } as unknown as ProbeJob),
      );
      await results.add('junk', {
        v: 1,
        region: 'r2',
        runnerId: 'x',
        items: [{ resultId: 'a', jobId: 'b', dueAtMs: 1, role: 'target', record: { v: 1, kind: 'syn' } }],
      });
      await results.add('junk', {
        v: 1,
        region: 'mars',
        runnerId: 'x',
        items: [{ resultId: 'c', jobId: 'd', dueAtMs: 1, role: 'target', record: {} }],
      });
      await waitForAsync(
        async () => r2a.runner.stats.badJobs > before,
        10_000,
        'the runner to refuse the malformed job',
      );
      // Either collector may take them: count over both.
      const both = () => [api, api2].map((a) => a.handle.consumer.stats);
      const rejected = (reason: 'bad_record' | 'unknown_region') =>
        both().reduce((n, s) => n + (s.rejected[reason] ?? 0), 0);
      const ingested = () => both().reduce((n, s) => n + s.ingested, 0);
      await waitForAsync(
        async () => rejected('bad_record') >= 1 && rejected('unknown_region') >= 1,
        10_000,
        'the collectors to reject both',
      );
      const ingestedBefore = ingested();
      await waitForAsync(async () => ingested() > ingestedBefore, 10_000, 'ingest to go on');
    } finally {
      await probeQueue.close();
      await results.close();
    }
  });
});
