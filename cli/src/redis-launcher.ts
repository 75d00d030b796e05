import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { parseRedisUrl } from '@synack/shared/redis-options';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import { Redis } from 'ioredis';

/** Whether something answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const target = parseRedisUrl(url);
  if (target.kind !== 'single') return true; // a cluster or a Sentinel setup is never ours to start
  const { kind: _kind, ...options } = target;
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A redis-server that `synack up` started, and how to stop it (AOF is fsynced on SIGTERM). */
export type LaunchedRedis = { process: ChildProcess; stop: () => Promise<void> };

/**
 * Starts `redis-server` for `synack up` when nothing answers at the configured URL: only for a
 * loopback TCP URL or a unix socket, on exactly that port or path (so other commands given the
 * same config find it), with AOF persistence in `dataDir`. Says how to install Redis when there
 * is no `redis-server` on PATH.
 */
export async function launchRedis(url: string, dataDir: string): Promise<LaunchedRedis> {
  const target = parseRedisUrl(url);
  if (target.kind !== 'single' || (target.host && !['127.0.0.1', 'localhost', '::1'].includes(target.host))) {
    throw new SynackError(
      ErrorCode.socketFailed,
      `nothing answers at ${url.replace(/\/\/[^@]*@/, '//***@')}, and it is not a local address synack could start Redis on`,
    );
  }
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error) {
    throw new SynackError(
      ErrorCode.socketFailed,
      'no Redis answers and there is no redis-server on PATH: install one (Debian/Ubuntu: apt-get install redis-server; or run scripts/setup)',
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const args = [
    '--dir',
    dataDir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--protected-mode',
    'yes',
  ];
  if (target.path) args.push('--port', '0', '--unixsocket', target.path, '--unixsocketperm', '700');
  else
    args.push(
      '--port',
      String(target.port ?? 6379),
      '--bind',
      target.host === 'localhost' ? '127.0.0.1' : (target.host ?? '127.0.0.1'),
    );
  // The password goes in on stdin ("redis-server -" reads config from it), not on the command
  // line, where any local user could read it in ps.
  const child = spawn('redis-server', ['-', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin?.end(target.password ? `requirepass "${target.password.replace(/["\\]/g, '\\$&')}"\n` : '');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new SynackError(
        ErrorCode.socketFailed,
        `redis-server did not start: ${stderr.trim() || 'no answer within 10 s'}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
