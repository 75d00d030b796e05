import type { AttemptRecord, ProbeTarget } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import { runProbeSession } from './probe-session.ts';

const target = (address: string): ProbeTarget => ({ name: 'n', address, port: 80, family: 'v4' });
const fake = (kind: 'syn' | 'connect', t: ProbeTarget) =>
  Promise.resolve({ kind, target: t, outcome: kind === 'syn' ? 'synack' : 'established' } as AttemptRecord);

describe('runProbeSession', () => {
  it('runs count × targets × kinds × source ports attempts and reports each', async () => {
    const seen: string[] = [];
    const attempts = await runProbeSession(
      {
        targets: [target('192.0.2.1'), target('192.0.2.2')],
        kinds: ['syn', 'connect'],
        count: 2,
        intervalMs: 1,
        sourcePorts: 3,
        policy: { timeoutMs: 100, rtoMs: 0, maxRetransmits: 0 },
      },
      {
        syn: (t) => fake('syn', t) as never,
        connect: (t) => fake('connect', t) as never,
      },
      (r) => seen.push(`${r.kind}@${r.target.address}`),
    );
    expect(attempts).toBe(2 * 2 * 2 * 3);
    expect(seen).toHaveLength(attempts);
    expect(seen.filter((s) => s === 'syn@192.0.2.2')).toHaveLength(6);
  });

  it('stops starting rounds once aborted, and still returns what ran', async () => {
    const controller = new AbortController();
    let started = 0;
    const attempts = await runProbeSession(
      {
        targets: [target('192.0.2.1')],
        kinds: ['syn'],
        count: 0,
        intervalMs: 5,
        sourcePorts: 1,
        policy: { timeoutMs: 100, rtoMs: 0, maxRetransmits: 0 },
      },
      {
        syn: (t) => {
          started++;
          if (started === 3) controller.abort();
          return fake('syn', t) as never;
        },
        connect: (t) => fake('connect', t) as never,
      },
      () => {},
      controller.signal,
    );
    expect(attempts).toBe(3);
  });
});
