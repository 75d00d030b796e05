import type { Server } from 'node:net';
import type { TargetStatus } from '@synack/collector/api/target-status';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type collector, listener, startPipeline, testConfig } from './support/pipeline.ts';
import { startRedisCluster, type TestCluster } from './support/redis-cluster.ts';
import { startRedisSentinel } from './support/redis-sentinel.ts';
import { waitForAsync } from './support/wait-for.ts';

// A three-master Redis Cluster started here with redis-server: BullMQ queues, the ingest and
// lease scripts and every synack key live under one hash-tagged prefix, so they share a slot.
describe('on a three-node Redis Cluster', () => {
  let cluster: TestCluster;
  let open: { server: Server; port: number };
  const stops: (() => Promise<void>)[] = [];
  let api: Awaited<ReturnType<typeof collector>>;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    open = await listener();
    const config = testConfig(
      `regions: [r1, r2]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
targets:
  - { name: open, address: 127.0.0.1, port: ${open.port} }
`,
      cluster.url,
      true,
    );
    expect(config.prefix).toMatch(/^\{t[0-9a-f]{8}\}$/);
    api = await startPipeline(
      config,
      [
        ['r1', 'a'],
        ['r2', 'b'],
      ],
      stops,
    );
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    open?.server.close();
    await cluster?.cleanup();
  });

  it('schedules, probes and ingests through the cluster clients', async () => {
    await waitForAsync(
      async () => {
        const { targets } = await api.get<{ targets: TargetStatus[] }>('/v1/targets');
        return targets.filter((t) => t.attempts5m >= 2 && t.lastOutcome === 'established').length === 2;
      },
      20_000,
      'two rounds in both regions',
    );
    const { runners } = await api.get<{ runners: { id: string }[] }>('/v1/runners');
    expect(runners.map((r) => r.id)).toEqual(['a', 'b']);
  });
});

// Through a Sentinel: clients ask it where the master is, as they would after a fail-over.
describe('through Redis Sentinel', () => {
  it('schedules, probes and ingests with a redis-sentinel:// URL', async () => {
    const sentinel = await startRedisSentinel();
    const open = await listener();
    const stops: (() => Promise<void>)[] = [];
    try {
      const config = testConfig(
        `regions: [r1]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
targets:
  - { name: open, address: 127.0.0.1, port: ${open.port} }
`,
        sentinel.url,
      );
      const api = await startPipeline(config, [['r1', 'a']], stops);
      await waitForAsync(
        async () => {
          const { targets } = await api.get<{ targets: TargetStatus[] }>('/v1/targets');
          return targets.some((t) => t.attempts5m >= 2 && t.lastOutcome === 'established');
        },
        20_000,
        'two rounds through the Sentinel-found master',
      );
    } finally {
      for (const stop of stops.reverse()) await stop();
      open.server.close();
      await sentinel.cleanup();
    }
  });
});
