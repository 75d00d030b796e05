import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSigningKey } from '@synack/shared/signing-key';
import type { ProbeJob } from '@synack/shared/wire/probe-job';
import { createJobSigner } from '@synack/shared/wire/signed-job';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRunner, listener, testConfig } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { synackArgv } from './support/synack-cli.ts';
import { signedJob, testSigning } from './support/test-signing.ts';
import { waitForAsync } from './support/wait-for.ts';

// Whoever can write to Redis must not be able to make a runner probe: a job written by hand,
// unsigned, signed with a key the runner does not know, tampered with after signing, or an old
// on-demand job sent again, is refused before it is parsed. A TCP listener inside `allow` tells
// whether anything was probed at all.
describe('signed probe jobs: a runner probes only what a configured key signed', () => {
  let redis: TestRedis;
  let client: Redis;
  let target: { server: Server; port: number };
  let connections = 0;
  let config: ReturnType<typeof testConfig>;
  let runner: ReturnType<typeof connectRunner>;
  const queues: Queue[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    target = await listener();
    target.server.on('connection', () => connections++);
    config = testConfig(
      `regions: [r1]
allow:
  - { cidr: 127.0.0.1/32, ports: "1-65535" }
defaults: { probes: [connect], interval: 1h }
targets: []
`,
      redis.url,
    );
    runner = connectRunner(config, 'r1', 'r1-a');
    runner.runner.start();
    for (const name of ['probe-r1', 'ondemand-r1'])
      queues.push(new Queue(name, { connection: client, prefix: config.prefix }));
  });

  afterAll(async () => {
    await runner?.stop();
    for (const queue of queues) await queue.close();
    client?.disconnect();
    target?.server.close();
    await redis?.cleanup();
  });

  const job = (over: Partial<ProbeJob> = {}): ProbeJob => ({
    v: 1,
    origin: 'scheduled',
    region: 'r1',
    everyMs: 3_600_000,
    targets: [
      {
        name: 'victim',
        address: '127.0.0.1',
        port: target.port,
        probes: ['connect'],
        families: ['v4'],
        timeoutMs: 500,
        atMs: 0,
      },
    ],
    ...over,
  });

  it('refuses jobs written by hand, badly signed or stale, and probes nothing', async () => {
    const [scheduled, onDemand] = queues as [Queue, Queue];
    const rogue = createJobSigner(generateSigningKey().privateKey);
    // A valid signature over a job for another port, its payload then pointed at the target.
    const other = signedJob(job({ targets: [{ ...(job().targets[0] as ProbeJob['targets'][number]), port: 9 }] }));
    const tampered = { ...other, signed: other.signed.replace('"port":9,', `"port":${target.port},`) };
    expect(tampered.signed).not.toBe(other.signed);
    const now = Date.now();
    const refused: [Queue, string, unknown, string][] = [
      [scheduled, 'bare', job(), 'unsigned'],
      [onDemand, 'bare-od', job({ origin: 'on_demand', requestId: 'bare-od', issuedAtMs: now }), 'unsigned'],
      [scheduled, 'rogue', rogue.sign(job()), 'unknown_key'],
      [scheduled, 'rogue-kid', { ...rogue.sign(job()), kid: testSigning().kid }, 'bad_signature'],
      [scheduled, 'tampered', tampered, 'bad_signature'],
      [
        onDemand,
        'stale',
        signedJob(job({ origin: 'on_demand', requestId: 'stale', issuedAtMs: now - 11 * 60_000 })),
        'stale',
      ],
      [
        onDemand,
        'future',
        signedJob(job({ origin: 'on_demand', requestId: 'future', issuedAtMs: now + 5 * 60_000 })),
        'future',
      ],
      [scheduled, 'half', { signed: JSON.stringify(job()), kid: testSigning().kid }, 'malformed'],
      // Signed, but for another region: copied onto this region's queue.
      [scheduled, 'elsewhere', signedJob(job({ region: 'r2' })), 'wrong_region'],
      [
        onDemand,
        'elsewhere-od',
        signedJob(job({ origin: 'on_demand', requestId: 'elsewhere-od', issuedAtMs: now, region: 'r2' })),
        'wrong_region',
      ],
      // Signed, with the region and interval left out (not what a scheduler signs).
      [scheduled, 'no-region', signedJob({ ...job(), region: undefined } as ProbeJob), 'wrong_region'],
      [scheduled, 'no-interval', signedJob({ ...job(), everyMs: undefined } as ProbeJob), 'no_interval'],
    ];
    const before = { ...runner.runner.stats };
    for (const [queue, id, data] of refused) await queue.add('by-hand', data, { jobId: id });
    await waitForAsync(
      async () => runner.runner.stats.badSignatures - before.badSignatures === refused.length,
      10_000,
      'the runner to refuse every job',
    );
    for (const [queue, id, , reason] of refused) {
      const stored = await queue.getJob(id);
      expect(await stored?.getState()).toBe('failed');
      // Unrecoverable: refused once, never retried.
      expect(stored?.failedReason).toBe(`SYNACK_ERR_BAD_SIGNATURE: ${reason}`);
      expect(stored?.attemptsMade).toBe(1);
    }
    expect(runner.runner.stats.attempts).toBe(before.attempts);
    expect(runner.runner.stats.jobs).toBe(before.jobs);
    expect(connections).toBe(0);
    // On-demand callers waiting on the refused ones get nothing either.
    expect(await client.exists(`${config.prefix}:od:bare-od`, `${config.prefix}:od:stale`)).toBe(0);
  });

  it('runs a job signed with the configured key', async () => {
    const [scheduled, onDemand] = queues as [Queue, Queue];
    const before = { ...runner.runner.stats };
    await scheduled.add('signed', signedJob(job()), { jobId: 'good' });
    await onDemand.add(
      'signed',
      signedJob(job({ origin: 'on_demand', requestId: 'good-od', issuedAtMs: Date.now() })),
      {
        jobId: 'good-od',
      },
    );
    await waitForAsync(async () => runner.runner.stats.jobs - before.jobs === 2, 10_000, 'both signed jobs to run');
    await waitForAsync(async () => connections === 2, 5000, 'two connections to the target');
    // The same signed on-demand job again under another id, and a scheduled one added to be due
    // far ahead (BullMQ's own fields are not signed): refused, nothing probed.
    const replay = signedJob(job({ origin: 'on_demand', requestId: 'good-od', issuedAtMs: Date.now() }));
    await onDemand.add('copy', replay, { jobId: 'good-od-copy' });
    await scheduled.add('ahead', signedJob(job()), { jobId: 'ahead', timestamp: Date.now() + 86_400_000 });
    await waitForAsync(
      async () => runner.runner.stats.badSignatures - before.badSignatures === 2,
      10_000,
      'the copy and the job due ahead to be refused',
    );
    expect((await onDemand.getJob('good-od-copy'))?.failedReason).toBe('SYNACK_ERR_BAD_SIGNATURE: replayed');
    expect((await scheduled.getJob('ahead'))?.failedReason).toBe('SYNACK_ERR_BAD_SIGNATURE: future');
    expect(runner.runner.stats.attempts - before.attempts).toBe(2);
    expect(connections).toBe(2);
  });
});

describe('a runner without public keys', () => {
  it('refuses to start, naming signing.public_keys and synack keygen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synack-nokeys-'));
    try {
      const file = join(dir, 'runner.yaml');
      await writeFile(file, 'regions: [r1]\nallow: [{ cidr: 127.0.0.1/32, ports: "1-65535" }]\ntargets: []\n');
      const [node, ...args] = synackArgv('runner', '--region', 'r1', '--config', file) as [string, ...string[]];
      const result = await promisify(execFile)(node, args, { timeout: 20_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `synack: ${file}: no signing.public_keys: a runner takes only jobs signed by a key listed there (make a key pair with: synack keygen --out FILE)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
