import type { AttemptRecord, ProbeTarget } from '@synack/shared/attempt-record';
import type { ProbeKind } from '@synack/shared/probe-outcome';
import type { ProbeJob } from '@synack/shared/wire/probe-job';
import type { ResultItem } from '@synack/shared/wire/result-message';
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { RateLimiter } from './rate-limiter.ts';
import { refusedRecord } from './refused-record.ts';
import { type ProbeJobDeps, runProbeJob } from './run-probe-job.ts';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

function setup(overrides: Partial<ProbeJobDeps> = {}) {
  const probed: { kind: ProbeKind; address: string; atMs: number }[] = [];
  const slept: number[] = [];
  let clock = T0;
  let ids = 0;
  const deps: ProbeJobDeps = {
    region: 'eu-west',
    now: () => clock,
    sleepUntil: async (at) => {
      slept.push(at);
      clock = Math.max(clock, at);
    },
    resolve: async (t) => [{ ok: true, addresses: [{ name: t.name, address: t.address, port: t.port, family: 'v4' }] }],
    isAllowed: (address) => address.startsWith('10.'),
    rateLimiter: new RateLimiter(100),
    limit: new ConcurrencyLimit(4),
    nextId: () => `id-${++ids}`,
    probe: async (kind: ProbeKind, target: ProbeTarget) => {
      probed.push({ kind, address: target.address, atMs: clock });
      const record = refusedRecord(kind, target, 'X', 'x', `id-${++ids}`, new Date(clock).toISOString());
      return { ...record, outcome: kind === 'syn' ? 'synack' : 'established', error: undefined } as AttemptRecord;
    },
    ...overrides,
  };
  return { deps, probed, slept };
}

const job = (over: Partial<ProbeJob> = {}): ProbeJob => ({
  v: 1,
  origin: 'scheduled',
  targets: [
    {
      name: 'b',
      address: '10.0.0.2',
      port: 443,
      probes: ['syn', 'connect'],
      families: ['v4'],
      timeoutMs: 1000,
      atMs: 40,
    },
    { name: 'a', address: '10.0.0.1', port: 80, probes: ['connect'], families: ['v4'], timeoutMs: 1000, atMs: 5 },
  ],
  ...over,
});

describe('runProbeJob', () => {
  it('probes each target at its own due time, each kind, with idempotent result ids', async () => {
    const { deps, probed, slept } = setup();
    const items: ResultItem[] = [];
    const count = await runProbeJob(job(), 'repeat-i10000-s3-1', T0, deps, (item) => items.push(item));
    expect(count).toBe(3);
    expect(slept.sort()).toEqual([T0 + 5, T0 + 40]);
    expect(probed.map((p) => `${p.kind} ${p.address}`).sort()).toEqual([
      'connect 10.0.0.1',
      'connect 10.0.0.2',
      'syn 10.0.0.2',
    ]);
    const ids = items.map((i) => i.resultId).sort();
    expect(ids).toEqual([
      'eu-west|repeat-i10000-s3-1|a|connect|10.0.0.1|80',
      'eu-west|repeat-i10000-s3-1|b|connect|10.0.0.2|443',
      'eu-west|repeat-i10000-s3-1|b|syn|10.0.0.2|443',
    ]);
    expect(items.find((i) => i.record.target.name === 'a')?.dueAtMs).toBe(T0 + 5);
  });

  it('makes one attempt per source-port slot when asked, each with a result id of its own', async () => {
    const { deps, probed } = setup();
    const items: ResultItem[] = [];
    const target = { ...job().targets[1], sourcePorts: 3 } as ProbeJob['targets'][number];
    await runProbeJob(job({ origin: 'on_demand', requestId: 'r1', targets: [target] }), 'od-1', T0, deps, (i) =>
      items.push(i),
    );
    expect(probed).toHaveLength(3);
    expect(items.map((i) => i.resultId).sort()).toEqual([
      'eu-west|od-1|a|connect-sp1|10.0.0.1|80',
      'eu-west|od-1|a|connect-sp2|10.0.0.1|80',
      'eu-west|od-1|a|connect|10.0.0.1|80',
    ]);
    expect(items.every((i) => i.requestId === 'r1')).toBe(true);
  });

  it('refuses an address outside the allow-list without probing it', async () => {
    const { deps, probed } = setup();
    const items: ResultItem[] = [];
    const evil = job({
      targets: [
        {
          name: 'x',
          address: '192.0.2.9',
          port: 22,
          probes: ['syn', 'connect'],
          families: ['v4'],
          timeoutMs: 500,
          atMs: 0,
        },
      ],
    });
    await runProbeJob(evil, 'j', T0, deps, (item) => items.push(item));
    expect(probed).toEqual([]);
    expect(items.map((i) => [i.record.kind, i.record.outcome, i.record.error?.code])).toEqual([
      ['syn', 'local_error', 'SYNACK_ERR_NOT_ALLOWED'],
      ['connect', 'local_error', 'SYNACK_ERR_NOT_ALLOWED'],
    ]);
  });

  it('caps probes per second per target', async () => {
    const { deps, probed } = setup({ rateLimiter: new RateLimiter(2) });
    const items: ResultItem[] = [];
    const burst = job({
      targets: [
        {
          name: 'a',
          address: '10.0.0.1',
          port: 80,
          probes: ['syn', 'connect'],
          families: ['v4'],
          timeoutMs: 500,
          atMs: 0,
        },
      ],
    });
    await runProbeJob(burst, 'j1', T0, deps, (item) => items.push(item));
    await runProbeJob(burst, 'j2', T0, deps, (item) => items.push(item));
    expect(probed).toHaveLength(2);
    expect(items.filter((i) => i.record.error?.code === 'SYNACK_ERR_RATE_LIMITED')).toHaveLength(2);
  });

  it('records a name that does not resolve, per family and kind, and carries the request id', async () => {
    const { deps } = setup({
      resolve: async () => [{ ok: false, family: 'v6', message: 'cannot resolve "web": ENOTFOUND' }],
    });
    const items: ResultItem[] = [];
    await runProbeJob(job({ requestId: 'req-1', origin: 'on_demand' }), 'od', T0, deps, (item) => items.push(item));
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(item.requestId).toBe('req-1');
      expect(item.record).toMatchObject({ outcome: 'local_error', error: { code: 'SYNACK_ERR_RESOLVE_FAILED' } });
      expect(item.record.target).toMatchObject({ address: '::', family: 'v6' });
    }
  });

  it('skips targets not yet due once aborted', async () => {
    const controller = new AbortController();
    const sleepers = new Map<number, () => void>();
    const { deps, probed } = setup({
      sleepUntil: (at) => new Promise<void>((resolve) => sleepers.set(at, resolve)),
    });
    const done = runProbeJob(job(), 'j', T0, deps, () => {}, controller.signal);
    await new Promise((r) => setImmediate(r));
    sleepers.get(T0 + 5)?.();
    await new Promise((r) => setImmediate(r));
    controller.abort();
    sleepers.get(T0 + 40)?.();
    await done;
    expect(probed.map((p) => p.address)).toEqual(['10.0.0.1']);
  });
});

describe('runProbeJob: traces', () => {
  const traceJob = (address: string): ProbeJob => ({
    v: 1,
    origin: 'on_demand',
    requestId: 'req-1',
    targets: [
      {
        name: 'web',
        address,
        port: 443,
        probes: ['syn'],
        families: ['v4'],
        timeoutMs: 1000,
        atMs: 0,
        trace: { maxHops: 3 },
      },
    ],
  });
  const hop = (target: ProbeTarget, ttl: number) =>
    ({
      ...refusedRecord('syn', target, 'X', 'x', `t-${ttl}`, new Date(T0).toISOString()),
      outcome: 'timeout',
      error: undefined,
      sentTtl: ttl,
    }) as AttemptRecord;

  it('traces instead of probing, and reports each hop as a trace item, apart from the target’s results', async () => {
    const traced: { address: string; maxHops: number }[] = [];
    const { deps, probed } = setup({
      trace: async (target, maxHops) => {
        traced.push({ address: target.address, maxHops });
        return [1, 2, 3].map((ttl) => hop(target, ttl)) as never;
      },
    });
    const items: ResultItem[] = [];
    await runProbeJob(traceJob('10.0.0.9'), 'od-1', T0, deps, (item) => items.push(item));
    expect(probed).toEqual([]);
    expect(traced).toEqual([{ address: '10.0.0.9', maxHops: 3 }]);
    expect(items.map((i) => [i.role, i.requestId, i.resultId])).toEqual([
      ['trace', 'req-1', 'eu-west|od-1|web|syn-ttl1|10.0.0.9|443'],
      ['trace', 'req-1', 'eu-west|od-1|web|syn-ttl2|10.0.0.9|443'],
      ['trace', 'req-1', 'eu-west|od-1|web|syn-ttl3|10.0.0.9|443'],
    ]);
  });

  it('refuses a trace outside the allow-list, or without raw sockets, with a record that says why', async () => {
    let traces = 0;
    const allowed = setup({
      trace: async () => {
        traces++;
        return [];
      },
    });
    const items: ResultItem[] = [];
    await runProbeJob(traceJob('192.0.2.1'), 'od-2', T0, allowed.deps, (item) => items.push(item));
    expect(traces).toBe(0);
    expect(items.map((i) => [i.role, i.record.error?.code])).toEqual([['trace', 'SYNACK_ERR_NOT_ALLOWED']]);
    const noRaw = setup();
    const more: ResultItem[] = [];
    await runProbeJob(traceJob('10.0.0.9'), 'od-3', T0, noRaw.deps, (item) => more.push(item));
    expect(more.map((i) => [i.role, i.record.error?.code])).toEqual([['trace', 'SYNACK_ERR_RAW_SOCKET_DENIED']]);
  });
});
