import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { INFRA } from './infra-checks.ts';
import { requireLabOrSkip } from './lab/lab-availability.ts';
import { freePort } from './support/redis-server.ts';
import { waitForAsync } from './support/wait-for.ts';

// infra/lab/multi-region.sh, as a person runs it: `up` builds the two-region lab and starts synack
// on it (Redis, scheduler, collectors, a runner per region, the agent); the collector's API then
// shows both regions' runners live and both regions' probes of the server answered; `down`
// leaves no namespace, process, hosts file or state behind.

const SCRIPT = `${INFRA}lab/multi-region.sh`;
const run = promisify(execFile);

type Runner = { id: string; region: string; rawSyn: boolean };
type TargetRow = { target: string; region: string; kind: string; lastOutcome: string };

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Running processes (zombies excluded) whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (state !== 'Z' && cmdline.includes(text) && Number(pid) !== process.pid) found.push(`${pid} ${cmdline}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

describe.skipIf(requireLabOrSkip())('infra/lab/multi-region.sh (needs root)', () => {
  it('brings up both regions, live in the collector API, and down leaves nothing behind', async () => {
    const prefix = `skmr${process.pid.toString(36)}`;
    const parent = await mkdtemp(join(tmpdir(), 'synack-mr-'));
    const state = join(parent, 'lab');
    const port = await freePort();
    const env = {
      ...process.env,
      SYNACK_LAB_PREFIX: prefix,
      SYNACK_LAB_STATE: state,
      SYNACK_LAB_API_PORT: String(port),
      SYNACK_LAB_INTERVAL: '2s',
      SYNACK_LAB_TIMEOUT: '2s',
    };
    const api = `http://127.0.0.1:${port}`;
    let pids: string[] = [];
    try {
      await run('bash', [SCRIPT, 'up'], { env, timeout: 40_000 });
      pids = readdirSync(join(state, 'pids')).map((name) =>
        String(readFileSync(join(state, 'pids', name), 'utf8').split(' ')[0]),
      );
      expect(pids.length).toBeGreaterThanOrEqual(8);

      let runners: Runner[] = [];
      await waitForAsync(
        async () => {
          runners = (await getJson<{ runners: Runner[] }>(`${api}/v1/runners`))?.runners ?? [];
          return new Set(runners.map((r) => r.region)).size === 2;
        },
        20_000,
        'a live runner in regions a and b',
      );
      expect(runners.map((r) => [r.id, r.region, r.rawSyn]).sort()).toEqual([
        ['runner-a', 'a', true],
        ['runner-b', 'b', true],
      ]);

      let rows: TargetRow[] = [];
      const answered = (row: TargetRow) => row.lastOutcome === 'synack' || row.lastOutcome === 'established';
      await waitForAsync(
        async () => {
          rows = (await getJson<{ targets: TargetRow[] }>(`${api}/v1/targets`))?.targets ?? [];
          return new Set(rows.filter(answered).map((row) => row.region)).size === 2;
        },
        20_000,
        'web answered from both regions',
      );
      expect(rows.every((row) => row.target === 'web')).toBe(true);

      const { stdout } = await run('bash', [SCRIPT, 'status'], { env, timeout: 20_000 });
      for (const name of ['redis', 'scheduler', 'collector', 'collector-router', 'runner-a', 'runner-b', 'agent'])
        expect(stdout).toMatch(new RegExp(`^${name}: running`, 'm'));
    } finally {
      await run('bash', [SCRIPT, 'down'], { env, timeout: 40_000 });
    }

    const { stdout: namespaces } = await run('ip', ['netns', 'list'], { env });
    expect(namespaces.split('\n').filter((line) => line.startsWith(`${prefix}-`))).toEqual([]);
    for (const host of ['a', 'b', 'router', 'server']) expect(existsSync(`/etc/netns/${prefix}-${host}`)).toBe(false);
    expect(existsSync(state)).toBe(false);
    expect(processesMentioning(state)).toEqual([]);
    for (const pid of pids) {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      expect(stat.replace(/^.*\) /, '')[0] ?? 'gone', `pid ${pid}`).toMatch(/^(Z|gone)$/);
    }
    // Down again is harmless.
    await run('bash', [SCRIPT, 'down'], { env, timeout: 20_000 });
    await rm(parent, { recursive: true, force: true });
  }, 60_000);
});
