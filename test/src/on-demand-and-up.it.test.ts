import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeOnDemand } from '@synack/scheduler/on-demand-probe';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, connectRunner, listener, testConfig } from './support/pipeline.ts';
import { freePort, startRedis, type TestRedis } from './support/redis-server.ts';
import { synackArgv } from './support/synack-cli.ts';
import { testSigning } from './support/test-signing.ts';
import { waitForAsync } from './support/wait-for.ts';

const run = async (args: string[], timeout = 60_000) =>
  promisify(execFile)(args[0] as string, args.slice(1), { timeout })
    .then(({ stdout, stderr }) => ({ stdout, stderr, code: 0 }))
    .catch((error: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
      code: error.code ?? -1,
    }));

describe('on-demand probes across regions', () => {
  let redis: TestRedis;
  let client: Redis;
  let open: { server: Server; port: number };
  let config: ReturnType<typeof testConfig>;
  let dir: string;
  let configFile: string;
  const runners: ReturnType<typeof connectRunner>[] = [];
  const queues = new Map<string, Queue>();

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    open = await listener();
    const yaml = `regions: [r1, r2, r3]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 1h }
targets:
  - { name: open, address: 127.0.0.1, port: ${open.port} }
`;
    config = testConfig(yaml, redis.url);
    dir = await mkdtemp(join(tmpdir(), 'synack-od-'));
    configFile = join(dir, 'synack.yaml');
    const keyFile = await testSigning().writeKey(dir);
    await writeFile(configFile, `redis: ${redis.url}\nprefix: ${config.prefix}\n${testSigning().yaml(keyFile)}${yaml}`);
    // The same, without the private key: `synack probe --regions` cannot sign, so it refuses.
    await writeFile(join(dir, 'unsigned.yaml'), `redis: ${redis.url}\nprefix: ${config.prefix}\n${yaml}`);
    for (const region of ['r1', 'r2']) {
      const r = connectRunner(config, region, `${region}-x`);
      r.runner.start();
      runners.push(r);
    }
    await waitForAsync(
      async () => (await client.hlen(`${config.prefix}:runners`)) === 2,
      10_000,
      'runners to register',
    );
  });

  afterAll(async () => {
    for (const r of runners) await r.stop();
    for (const q of queues.values()) await q.close();
    client?.disconnect();
    open?.server.close();
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const deps = () => ({
    redis: client,
    prefix: config.prefix,
    signer: testSigning().signer,
    queueFor: (region: string) => {
      let queue = queues.get(region);
      if (!queue) {
        queue = new Queue(`ondemand-${region}`, { connection: client, prefix: config.prefix });
        queues.set(region, queue);
      }
      return queue;
    },
  });

  it('probes from every asked region now and returns what each saw', async () => {
    const closed = await closedPort();
    const result = await probeOnDemand(deps(), {
      targets: [
        {
          name: 'adhoc',
          address: '127.0.0.1',
          port: closed,
          probes: ['connect'],
          families: ['v4'],
          timeoutMs: 1000,
        },
      ],
      regions: ['r1', 'r2'],
    });
    expect(result.missing).toEqual([]);
    expect(Object.keys(result.byRegion)).toEqual(['r1', 'r2']);
    for (const records of Object.values(result.byRegion)) {
      expect(records.map((r) => [r.kind, r.outcome, r.target.port])).toEqual([['connect', 'refused', closed]]);
    }
  });

  it('fails clearly when a region has no live runner', async () => {
    await expect(
      probeOnDemand(deps(), {
        targets: [
          {
            name: 'open',
            address: '127.0.0.1',
            port: open.port,
            probes: ['connect'],
            families: ['v4'],
            timeoutMs: 1000,
          },
        ],
        regions: ['r1', 'r3'],
      }),
    ).rejects.toMatchObject({ code: 'SYNACK_ERR_NO_RUNNER', message: expect.stringContaining('r3') });
  });

  it('`synack probe NAME --regions` prints each region side by side', async () => {
    const ok = await run(synackArgv('probe', 'open', '--regions', 'r1,r2', '--config', configFile));
    expect(ok.code).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^kind\s+address\s+r1\s+r2$/);
    expect(lines[2]).toMatch(/^connect\s+127\.0\.0\.1\s+established [0-9.]+ ms\s+established [0-9.]+ ms$/);
    const none = await run(synackArgv('probe', 'open', '--regions', 'all', '--config', configFile));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no live runner in region r3/);
    const bad = await run(synackArgv('probe', 'open', '--regions', 'mars', '--config', configFile));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--regions: mars not in/);
    const unsigned = await run(synackArgv('probe', 'open', '--regions', 'r1', '--config', join(dir, 'unsigned.yaml')));
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toMatch(
      /signs probe jobs and has no private key: set signing\.private_key_file .* or SYNACK_SIGNING_KEY/,
    );
  });
});

describe('synack up', () => {
  it('starts Redis when none answers, runs the whole stack, prints status and stops cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synack-up-'));
    try {
      const redisPort = await freePort();
      const open = await listener();
      const closed = await closedPort();
      const file = join(dir, 'synack.yaml');
      await writeFile(
        file,
        `redis: redis://127.0.0.1:${redisPort}
regions: [a, b]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
collector: { listen: 127.0.0.1:0 }
targets:
  - { name: open, address: 127.0.0.1, port: ${open.port} }
  - { name: closed, address: 127.0.0.1, port: ${closed} }
`,
      );
      const result = await run(
        synackArgv('up', '--config', file, '--data-dir', join(dir, 'redis'), '--duration', '6s', '--refresh', '1s'),
        60_000,
      );
      open.server.close();
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/no Redis at redis:\/\/127\.0\.0\.1:\d+: starting redis-server/);
      expect(result.stdout).toMatch(/synack is up: 2 targets, regions a, b; collector API http:\/\/127\.0\.0\.1:\d+/);
      expect(result.stdout).toMatch(/^open\s+a\s+connect\s+established/m);
      expect(result.stdout).toMatch(/^closed\s+b\s+connect\s+refused/m);
      // The Redis it started is gone again, its AOF kept.
      const probe = new Redis({
        port: redisPort,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => {});
      await expect(probe.connect()).rejects.toThrow();
      probe.disconnect();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
