import { type IngestedAttempt, ResultsConsumer } from '@synack/collector/ingest/results-consumer';
import { readSloBuckets } from '@synack/collector/slo/read-slo-buckets';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import { RESULT_BATCH_VERSION } from '@synack/shared/wire/result-message';
import { describe, expect, it } from 'vitest';
import { silent, testConfig } from './support/pipeline.ts';
import { redisForFile } from './support/redis-for-file.ts';

const fixture = redisForFile();
const NOW = Date.UTC(2026, 10, 23, 12, 0, 30);
let n = 0;

function record(outcome: 'established' | 'timeout', tookUs: number, name = 'web'): AttemptRecord {
  n++;
  return {
    v: 1,
    id: `00000000-0000-8000-8000-${String(n).padStart(12, '0')}`,
    kind: 'connect',
    target: { name, address: '192.0.2.1', port: 443, family: 'v4' },
    source: { address: '192.0.2.9', port: 40_000 + n },
    startedAt: new Date(NOW - 1000).toISOString(),
    synSentUs: [10],
    answerUs: outcome === 'established' ? tookUs : null,
    rttUs: outcome === 'established' ? tookUs : null,
    retransmits: 0,
    outcome,
  };
}

describe('SLO exclusion of runners failing their self-check (real Redis)', () => {
  it('judges each attempt by the self-check its runner had when it made it', async () => {
    const config = testConfig(
      `regions: [a]
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
runner: { control: { address: 192.0.2.254, port: 22, interval: 10s } }
targets:
  - { name: web, address: 192.0.2.1, port: 443, probes: [connect], slo: { objective: 99%, threshold: 100ms } }
`,
      fixture.server.url,
    );
    const seen: IngestedAttempt[] = [];
    const consumer = new ResultsConsumer({
      config: () => config,
      connection: fixture.redis,
      redis: fixture.redis,
      logger: silent,
      now: () => NOW,
      observe: (attempts) => seen.push(...attempts),
    });
    const item = (r: AttemptRecord, selfCheck?: { ok: boolean; atMs: number }, role = 'target') => ({
      resultId: `a|job|${r.id}`,
      jobId: 'job',
      dueAtMs: NOW - 1000,
      role,
      ...(selfCheck ? { selfCheck } : {}),
      record: r,
    });
    const batch = (items: unknown[], runnerId = 'runner-1') => ({
      id: `b${n}`,
      data: { v: RESULT_BATCH_VERSION, region: 'a', runnerId, items },
    });
    const healthy = { ok: true, atMs: NOW - 5000 };
    const failing = { ok: false, atMs: NOW - 5000 };
    // Healthy runner: a fast handshake is good, a slow one and a timeout are bad.
    await consumer.process(
      batch([
        item(record('established', 20_000), healthy),
        item(record('established', 300_000), healthy),
        item(record('timeout', 0), healthy),
      ]),
    );
    // Failing its self-check when it probed: left out, whatever the outcome.
    await consumer.process(batch([item(record('timeout', 0), failing), item(record('established', 20_000), failing)]));
    // A failed self-check older than three control intervals says nothing: counted.
    await consumer.process(batch([item(record('timeout', 0), { ok: false, atMs: NOW - 60_000 })]));
    // No stamp (an older runner): the batch's own control result decides.
    const control = { ...record('timeout', 0, 'control-a') };
    await consumer.process(
      batch([item(control, undefined, 'control'), item(record('established', 20_000))], 'runner-2'),
    );
    // A malformed stamp (or on-demand extra) counts as none: the batch goes in, judged by the
    // fallback (runner-3 has no control result anywhere: passing).
    const odd = await consumer.process(
      batch([{ ...item(record('timeout', 0)), selfCheck: 'yes', timeoutMs: -5, sourcePorts: 'x' }], 'runner-3'),
    );
    expect(odd).toMatchObject({ ingested: 1, rejected: 0 });
    expect(seen.map((a) => a.slo)).toEqual(['good', 'bad', 'bad', 'excluded', 'excluded', 'bad', 'excluded', 'bad']);
    expect(seen.at(-1)).not.toHaveProperty('timeoutMs');
    const { buckets } = await readSloBuckets(
      fixture.redis,
      config.prefix,
      [{ target: 'web', regions: ['a'], thresholdMs: 100 }],
      NOW,
    );
    const sum = (buckets[0]?.a ?? []).reduce(
      (s, b) => ({ good: s.good + b.good, total: s.total + b.total, excluded: s.excluded + b.excluded }),
      { good: 0, total: 0, excluded: 0 },
    );
    expect(sum).toEqual({ good: 1, total: 5, excluded: 3 });
  });
});
