import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedis, type TestRedis } from './redis-server.ts';

/** A master and one Sentinel watching it as `mymaster`, started by the test with redis-server. */
export type TestSentinel = { master: TestRedis; url: string; cleanup: () => Promise<void> };

export async function startRedisSentinel(): Promise<TestSentinel> {
  const master = await startRedis();
  const port = await freePort();
  const conf = join(master.dir, 'sentinel.conf');
  // Sentinel rewrites its config file, so it gets a file of its own.
  await writeFile(
    conf,
    `port ${port}\nbind 127.0.0.1\ndir ${master.dir}\nsentinel monitor mymaster 127.0.0.1 ${master.port} 1\n`,
  );
  const sentinel: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const stop = async () => {
    if (sentinel.exitCode !== null || sentinel.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => sentinel.once('exit', () => resolve()));
    sentinel.kill('SIGKILL');
    await exited;
  };
  try {
    const deadline = performance.now() + 10_000;
    for (;;) {
      const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      try {
        await client.connect();
        const address = (await client.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[] | null;
        if (address?.[1] === String(master.port)) break;
      } catch {
        // Not up yet.
      } finally {
        client.disconnect();
      }
      if (performance.now() > deadline) throw new Error('sentinel did not come up watching the master');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    await master.cleanup();
    throw error;
  }
  return {
    master,
    url: `redis-sentinel://127.0.0.1:${port}/mymaster`,
    cleanup: async () => {
      await stop();
      await master.cleanup();
    },
  };
}
