import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { type ServiceProcess, startService } from './support/service-process.ts';
import { templateJob, testSigning } from './support/test-signing.ts';
import { waitForAsync } from './support/wait-for.ts';

const config = (redisUrl: string, targets: string[]) => `redis: ${redisUrl}
prefix: sch
${testSigning().yaml()}regions: [r1]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 10s }
targets:
${targets.map((name, i) => `  - { name: ${name}, address: 127.0.0.1, port: ${9000 + i} }`).join('\n')}
`;

// Two `synack scheduler` processes on one config: one acts (the lease), SIGHUP reloads, a bad
// file is refused with its line while the old schedule stays, and the survivor of a SIGKILL
// takes over.
describe('scheduler processes: reload on SIGHUP and fail-over', () => {
  let redis: TestRedis;
  let client: Redis;
  let queue: Queue;
  let dir: string;
  let file: string;
  let schedulers: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue('probe-r1', { connection: client, prefix: 'sch' });
    dir = await mkdtemp(join(tmpdir(), 'synack-sch-'));
    file = join(dir, 'synack.yaml');
    await writeFile(file, config(redis.url, ['alpha', 'beta']));
    // The private key through the environment, as a container would get it.
    const env = testSigning().env;
    schedulers = [
      startService(['scheduler', '--config', file], undefined, env),
      startService(['scheduler', '--config', file], undefined, env),
    ];
  });

  afterAll(async () => {
    await Promise.all(schedulers.map((s) => s.stop('SIGKILL')));
    await queue?.close();
    client?.disconnect();
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const scheduled = async () =>
    (await queue.getJobSchedulers(0, -1))
      .flatMap((s) => (templateJob(s.template?.data)?.targets ?? []).map((t) => t.name))
      .sort();
  const leader = () => schedulers.find((s) => s.output().includes('took the scheduler lease'));
  const hup = () => {
    for (const s of schedulers) if (s.child.exitCode === null) s.child.kill('SIGHUP');
  };

  it('one of the two acts, and SIGHUP applies a new file', async () => {
    await waitForAsync(async () => (await scheduled()).join() === 'alpha,beta', 15_000, 'the first schedule');
    expect(schedulers.filter((s) => s.output().includes('took the scheduler lease'))).toHaveLength(1);
    await writeFile(file, config(redis.url, ['alpha', 'beta', 'gamma']));
    hup();
    await waitForAsync(async () => (await scheduled()).join() === 'alpha,beta,gamma', 15_000, 'gamma to be scheduled');
  });

  it('refuses an invalid file on SIGHUP, says where, and keeps the running schedule', async () => {
    await writeFile(file, `${config(redis.url, ['alpha'])}  - { name: bad, address: 127.0.0.1, port: 70000 }\n`);
    hup();
    await waitForAsync(
      async () => schedulers.every((s) => s.output().includes('new config rejected; keeping the old one')),
      10_000,
      'both schedulers to refuse the file',
    );
    expect(leader()?.output()).toMatch(/synack\.yaml:11:44 targets\[1\]\.port: expected 1\.\.65535, got 70000/);
    expect(schedulers.every((s) => s.child.exitCode === null)).toBe(true);
    expect((await scheduled()).join()).toBe('alpha,beta,gamma');
  });

  it('the other scheduler takes over when the leader is killed', async () => {
    const first = leader();
    if (!first) throw new Error('no leader');
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const survivor = schedulers.find((s) => s !== first);
    await writeFile(file, config(redis.url, ['alpha']));
    hup();
    await waitForAsync(
      async () => (await scheduled()).join() === 'alpha',
      20_000,
      'the survivor to apply the new file',
    );
    expect(survivor?.output()).toContain('took the scheduler lease');
  });

  it('puts the schedule back when Redis loses its data, and stops on SIGTERM', async () => {
    await client.flushall();
    await waitForAsync(async () => (await scheduled()).join() === 'alpha', 15_000, 'the schedule to come back');
    const survivor = schedulers.find((s) => s.child.exitCode === null && s.child.signalCode === null);
    expect(await survivor?.stop('SIGTERM')).toBe(0);
  });

  it('refuses to start without the signing key, and says where it goes', async () => {
    const keyless = startService(['scheduler', '--config', file]);
    // 'close': after its output is all read.
    const code = await new Promise((resolve) => keyless.child.once('close', resolve));
    expect(code).toBe(2);
    expect(keyless.output()).toContain(
      'the scheduler signs probe jobs and has no private key: set signing.private_key_file in',
    );
    expect(keyless.output()).toContain('or SYNACK_SIGNING_KEY (make a key pair with: synack keygen --out FILE)');
  });
});
