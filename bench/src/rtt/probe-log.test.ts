import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import { ProbeLog, recordTuple } from './probe-log.ts';
import { flowTuple } from './wire-exchanges.ts';

const record = (overrides: Partial<SynAttemptRecord>): SynAttemptRecord => ({
  v: 1,
  id: 'id',
  kind: 'syn',
  target: { name: 't', address: '2001:db8:b:0::10', port: 10001, family: 'v6' },
  source: { address: '2001:db8:b::1', port: 40000 },
  startedAt: '2026-01-01T00:00:00.000Z',
  synSentUs: [3],
  answerUs: 50,
  rttUs: 47,
  retransmits: 0,
  outcome: 'synack',
  answeredSyn: 0,
  ...overrides,
});

describe('ProbeLog', () => {
  it('keeps tuples with canonical addresses, and answer times on the origin clock', () => {
    const log = new ProbeLog(2);
    log.add(1, 1000, record({}));
    expect(log.tuple(1)).toBe(flowTuple('2001:db8:b::1', 40000, '2001:db8:b::10', 10001));
    expect(log.answer(1)).toEqual({ sentMs: 1000.003, answerMs: 1000.05, rttUs: 47 });
    expect(log.tuple(0)).toBeNull();
    expect(log.answer(0)).toBeNull();
    expect(log.outcomes).toEqual({ synack: 1 });
  });

  it('has no answer for other outcomes, and no tuple without a source', () => {
    const log = new ProbeLog(2);
    log.add(0, 0, record({ outcome: 'timeout', answerUs: null, rttUs: null }));
    log.add(1, 0, record({ outcome: 'local_error', source: null, synSentUs: [], answerUs: null, rttUs: null }));
    expect(log.answer(0)).toBeNull();
    expect(log.tuple(0)).not.toBeNull();
    expect(log.tuple(1)).toBeNull();
    expect(log.outcomes).toEqual({ timeout: 1, local_error: 1 });
  });

  it('recordTuple agrees with the log', () => {
    const log = new ProbeLog(1);
    const r = record({});
    log.add(0, 0, r);
    expect(recordTuple(r)).toBe(log.tuple(0));
    expect(recordTuple(record({ source: null }))).toBeNull();
  });
});
