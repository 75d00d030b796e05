import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from '@synack/cli/redis-launcher';

/** A `redis-server` this test started, on a free loopback port, with its own data directory. */
export type TestRedis = {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  /** Kills it (SIGKILL when `hard`) and waits for the exit. The data directory stays. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (AOF replays what was written). */
  restart(): Promise<void>;
  /** Stops it and removes its data directory. */
  cleanup(): Promise<void>;
};

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Starts `redis-server` (installed by scripts/setup and .ci/run) with AOF on, and waits until it
 * answers PING. Extra `args` go on its command line (`['--cluster-enabled', 'yes']`).
 */
export async function startRedis(args: readonly string[] = []): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'synack-redis-'));
  const argv = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    ...args,
  ];
  const handle: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    process: await launch(argv),
    async stop(hard = false) {
      const child = handle.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    async restart() {
      await handle.stop();
      handle.process = await launch(argv);
    },
    async cleanup() {
      await handle.stop(true);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;

  async function launch(command: string[]): Promise<ChildProcess> {
    const child = spawn('redis-server', command, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${stderr.trim()}`)));
    });
    await Promise.race([waitForPing(port), failed]);
    child.removeAllListeners('exit');
    return child;
  }
}

async function waitForPing(port: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await redisAnswers(`redis://127.0.0.1:${port}`, 500))) {
    if (performance.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
