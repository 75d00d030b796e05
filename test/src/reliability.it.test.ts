import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHistory, readWindow } from '@synack/collector/store/read-aggregates';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listener } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { type ServiceProcess, startService } from './support/service-process.ts';
import { startTarpit } from './support/tarpit.ts';
import { signedJob, testSigning } from './support/test-signing.ts';
import { waitForAsync } from './support/wait-for.ts';

type Stored = {
  jobId?: string;
  dueAtMs: number;
  startedAt: string;
  outcome: string;
  target: { name: string };
  runnerId: string;
};

// Real processes (the CLI's scheduler, runners and collector) against a real redis-server with
// AOF: what an operator runs, killed and restarted the ways production does. Connect probes only,
// so no root is needed.
describe('reliability: processes and Redis die, attempts are neither lost nor counted twice', () => {
  let redis: TestRedis;
  let client: Redis;
  let dir: string;
  let open: { server: Server; port: number };
  let tarpit: Awaited<ReturnType<typeof startTarpit>>;
  let configFile: string;
  const prefix = 'rel';
  let running: ServiceProcess[] = [];

  const start = (...args: string[]) => {
    const service = startService([...args, '--config', configFile], join(dir, `${args.join('-')}.log`));
    running.push(service);
    return service;
  };
  const history = async (target: string, limit = 500) =>
    (await readHistory(client, prefix, target, 'r1', limit)) as Stored[];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    dir = await mkdtemp(join(tmpdir(), 'synack-rel-'));
    open = await listener();
    tarpit = await startTarpit();
    configFile = join(dir, 'synack.yaml');
    const keyFile = await testSigning().writeKey(dir);
    await writeFile(
      configFile,
      `redis: ${redis.url}
prefix: ${prefix}
${testSigning().yaml(keyFile)}regions: [r1]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
collector: { listen: 127.0.0.1:0, history_per_series: 500 }
targets:
  - { name: fast, address: 127.0.0.1, port: ${open.port} }
`,
    );
  });

  afterEach(async () => {
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
    running = [];
  });

  afterAll(async () => {
    client?.disconnect();
    open?.server.close();
    tarpit?.stop();
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a runner killed with SIGKILL mid-job: another runner of the region finishes it, each attempt counted once', async () => {
    await client.flushall();
    const collector = start('collector');
    const a = start('runner', '--region', 'r1', '--id', 'a', '--job-lock', '2s');
    const b = start('runner', '--region', 'r1', '--id', 'b', '--job-lock', '2s');
    await waitForAsync(async () => (await client.hlen(`${prefix}:runners`)) === 2, 15_000, 'both runners to register');
    const queue = new Queue('probe-r1', { connection: client, prefix });
    try {
      // One job: a target that answers at once, and one whose SYNs are dropped (4 s timeout).
      await queue.add(
        'by-hand',
        signedJob({
          v: 1,
          origin: 'scheduled',
          region: 'r1',
          everyMs: 3_600_000,
          targets: [
            {
              name: 'fast',
              address: '127.0.0.1',
              port: open.port,
              probes: ['connect'],
              families: ['v4'],
              timeoutMs: 500,
              atMs: 0,
            },
            {
              name: 'slow',
              address: '127.0.0.1',
              port: tarpit.port,
              probes: ['connect'],
              families: ['v4'],
              timeoutMs: 4000,
              atMs: 0,
            },
          ],
        }),
        { jobId: 'kill-test' },
      );
      // The fast attempt is reported while the slow one is still in flight: now kill that runner.
      await waitForAsync(async () => (await history('fast')).length === 1, 15_000, 'the fast attempt to be ingested');
      const holder = (await queue.getJob('kill-test'))?.processedBy;
      expect(['a', 'b']).toContain(holder);
      const [victim, survivor] = holder === 'a' ? [a, b] : [b, a];
      expect(await victim.stop('SIGKILL')).toBe('SIGKILL');
      await waitForAsync(
        async () =>
          (await queue.getJobState('kill-test')) === 'completed' || (await queue.getJob('kill-test')) === undefined,
        30_000,
        'the other runner to finish the job',
      );
      await waitForAsync(async () => (await history('slow')).length === 1, 15_000, 'the slow attempt to be ingested');
      const fast = await history('fast');
      const slow = await history('slow');
      expect(fast.map((r) => r.outcome)).toEqual(['established']);
      expect(slow.map((r) => [r.outcome, r.runnerId])).toEqual([['timeout', holder === 'a' ? 'b' : 'a']]);
      // The survivor made the fast attempt again; Redis still counts one.
      const now = Date.now();
      const window = await readWindow(
        client,
        prefix,
        { target: 'fast', region: 'r1', kind: 'connect' },
        now - 120_000,
        now + 1,
        now,
      );
      expect(window.attempts).toBe(1);
      expect(survivor.child.exitCode).toBeNull();
    } finally {
      await queue.close();
    }
    expect(collector.child.exitCode).toBeNull();
  });

  it('SIGTERM stops a runner gracefully: the probe in flight finishes and is reported', async () => {
    await client.flushall();
    start('collector');
    const runner = start('runner', '--region', 'r1', '--id', 'solo');
    await waitForAsync(async () => (await client.hlen(`${prefix}:runners`)) === 1, 15_000, 'the runner to register');
    const queue = new Queue('probe-r1', { connection: client, prefix });
    try {
      await queue.add(
        'by-hand',
        signedJob({
          v: 1,
          origin: 'scheduled',
          region: 'r1',
          everyMs: 3_600_000,
          targets: [
            {
              name: 'slow',
              address: '127.0.0.1',
              port: tarpit.port,
              probes: ['connect'],
              families: ['v4'],
              timeoutMs: 2000,
              atMs: 0,
            },
          ],
        }),
        { jobId: 'term-test' },
      );
      await waitForAsync(
        async () => (await queue.getJob('term-test'))?.processedBy === 'solo',
        10_000,
        'the runner to take the job',
      );
      expect(await runner.stop('SIGTERM')).toBe(0);
      // It was on the results queue when the runner exited; the collector ingests it soon after.
      await waitForAsync(async () => (await history('slow')).length > 0, 10_000, 'the in-flight probe to be ingested');
      const slow = await history('slow');
      expect(slow.map((r) => [r.outcome, r.runnerId])).toEqual([['timeout', 'solo']]);
      // It left the registry on the way out.
      expect(await client.hlen(`${prefix}:runners`)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('Redis restarts (AOF): every process reconnects, probing resumes within 10 s, schedules intact', async () => {
    await client.flushall();
    start('scheduler');
    start('collector');
    start('runner', '--region', 'r1', '--id', 'r');
    await waitForAsync(async () => (await history('fast')).length >= 2, 20_000, 'scheduled attempts to flow');
    const queue = new Queue('probe-r1', { connection: client, prefix });
    try {
      const schedulersBefore = (await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.every, s.offset]);
      expect(schedulersBefore.length).toBe(1);
      await redis.restart();
      const back = Date.now();
      await waitForAsync(
        async () => (await history('fast', 5).catch(() => [] as Stored[])).some((r) => Date.parse(r.startedAt) > back),
        10_000,
        'a probe made after the restart to be ingested',
      );
      expect((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.every, s.offset])).toEqual(schedulersBefore);
    } finally {
      await queue.close();
    }
  });

  it('the collector away for a minute: every attempt made meanwhile is ingested when it returns', async () => {
    await client.flushall();
    start('scheduler');
    const collector = start('collector');
    start('runner', '--region', 'r1', '--id', 'r');
    await waitForAsync(async () => (await history('fast')).length >= 2, 20_000, 'scheduled attempts to flow');
    expect(await collector.stop('SIGTERM')).toBe(0);
    const away = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 60_000)); // the outage itself, not a wait for a condition
    const returned = Date.now();
    start('collector');
    // Every 1 s slot in the outage must be there, exactly once.
    const slots = (records: Stored[]) => records.filter((r) => r.dueAtMs > away + 1000 && r.dueAtMs < returned - 1000);
    // Slots strictly inside (away + 1 s, returned - 1 s), at 1 s spacing: at least this many.
    const expected = Math.floor((returned - away - 2000) / 1000) - 1;
    await waitForAsync(
      async () => slots(await history('fast')).length >= expected,
      30_000,
      'the outage to be ingested',
    );
    const due = slots(await history('fast'))
      .map((r) => r.dueAtMs)
      .sort((x, y) => x - y);
    expect(new Set(due).size).toBe(due.length);
    for (let i = 1; i < due.length; i++) expect((due[i] as number) - (due[i - 1] as number)).toBe(1000);
  }, 120_000);
});
