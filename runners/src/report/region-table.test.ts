import type { AttemptRecord } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import { formatRegionTable } from './region-table.ts';

const record = (kind: 'syn' | 'connect', outcome: string, extra: Partial<AttemptRecord> = {}): AttemptRecord =>
  ({
    v: 1,
    id: 'x',
    kind,
    target: { name: 'web', address: '10.0.0.5', port: 443, family: 'v4' },
    source: null,
    startedAt: '2026-11-23T12:00:00.000Z',
    synSentUs: [0],
    answerUs: null,
    rttUs: null,
    retransmits: 0,
    outcome,
    ...(kind === 'syn' ? { answeredSyn: null } : {}),
    ...extra,
  }) as AttemptRecord;

describe('formatRegionTable', () => {
  it('puts each region in its own column, per kind and address', () => {
    const table = formatRegionTable(
      {
        'eu-west': [record('syn', 'synack', { rttUs: 420 }), record('connect', 'established', { rttUs: 1100 })],
        'us-east': [record('syn', 'timeout', { retransmits: 6 })],
      },
      [],
    );
    expect(table.split('\n')).toEqual([
      'kind     address   eu-west              us-east',
      'connect  10.0.0.5  established 1.10 ms  -',
      'syn      10.0.0.5  synack 0.42 ms       timeout 6 retx',
    ]);
  });

  it('marks regions that never answered', () => {
    expect(formatRegionTable({ a: [record('syn', 'synack', { rttUs: 1 })], b: [] }, ['b'])).toContain('no answer');
  });
});
