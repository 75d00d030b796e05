import type { AttemptRecord } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import { formatSummary, ProbeSummary, percentile, summarizeAttempts } from './probe-summary.ts';

const rec = (kind: 'syn' | 'connect', address: string, outcome: string, rttUs: number | null): AttemptRecord =>
  ({
    v: 1,
    id: 'x',
    kind,
    target: { name: 't', address, port: 1, family: 'v4' },
    source: null,
    startedAt: '',
    synSentUs: [0],
    answerUs: rttUs,
    rttUs,
    retransmits: 0,
    outcome,
    answeredSyn: null,
  }) as AttemptRecord;

describe('summarizeAttempts', () => {
  it('counts sent, answered, loss and RTT stats per kind and address', () => {
    const rows = summarizeAttempts([
      rec('syn', '192.0.2.1', 'synack', 400),
      rec('syn', '192.0.2.1', 'timeout', null),
      rec('syn', '192.0.2.1', 'synack', 200),
      rec('connect', '192.0.2.1', 'refused', 300),
    ]);
    expect(rows).toEqual([
      {
        kind: 'syn',
        address: '192.0.2.1',
        sent: 3,
        answered: 2,
        lossPercent: 33.3,
        failures: { timeout: 1 },
        rtt: { min: 200, avg: 300, p99: 400, max: 400 },
      },
      {
        kind: 'connect',
        address: '192.0.2.1',
        sent: 1,
        answered: 0,
        lossPercent: 100,
        failures: { refused: 1 },
        rtt: null,
      },
    ]);
    const text = formatSummary('x:1', rows);
    expect(text).toContain(
      'syn     192.0.2.1: 3 sent, 2 answered, 33.3% loss (1 timeout), rtt min/avg/p99/max = 0.200/0.300/0.400/0.400 ms',
    );
    expect(text).toContain('connect 192.0.2.1: 1 sent, 0 answered, 100% loss (1 refused)');
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(198);
    expect(percentile([5], 99)).toBe(5);
    expect(() => percentile([], 50)).toThrow(RangeError);
  });

  it('knows whether every attempt so far was answered', () => {
    const summary = new ProbeSummary();
    expect(summary.allAnswered).toBe(false);
    summary.add(rec('syn', '192.0.2.1', 'synack', 100));
    expect(summary.allAnswered).toBe(true);
    summary.add(rec('connect', '192.0.2.1', 'timeout', null));
    expect(summary.allAnswered).toBe(false);
  });
});
