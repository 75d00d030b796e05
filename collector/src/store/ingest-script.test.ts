import { describe, expect, it } from 'vitest';
import { epochHour, epochMinute } from './bucket-math.ts';
import { type IngestInput, ingestCommandArgs, parseIngestReply, seriesMember, storeKeys } from './ingest-script.ts';

const NOW_MS = Date.UTC(2025, 2, 1, 10, 25, 30);

const input: IngestInput = {
  id: 'a1',
  target: 'web-1',
  region: 'eu-west',
  kind: 'syn',
  startedAtMs: NOW_MS - 1_000,
  success: true,
  rttUs: 4_000,
  outcome: 'synack',
  recordJson: '{}',
};

describe('storeKeys', () => {
  it('puts every key under the prefix, so a {tag} prefix keeps them in one slot', () => {
    const series = { target: 'web-1', region: 'eu-west', kind: 'connect' } as const;
    expect([
      storeKeys.minuteRing('{s}', series),
      storeKeys.hourRing('{s}', series),
      storeKeys.attemptId('{s}', 'a1'),
      storeKeys.history('{s}', 'web-1', 'eu-west'),
      storeKeys.latest('{s}', 'web-1'),
      storeKeys.series('{s}'),
    ]).toEqual([
      '{s}:m:web-1:eu-west:connect',
      '{s}:h:web-1:eu-west:connect',
      '{s}:id:a1',
      '{s}:l:web-1:eu-west',
      '{s}:s:web-1',
      '{s}:series',
    ]);
    expect(seriesMember(series)).toBe('web-1:eu-west:connect');
  });
});

describe('ingestCommandArgs', () => {
  it('passes the buckets of the attempt’s own start time, its RTT bin and the defaults', () => {
    const args = ingestCommandArgs('p', input, NOW_MS);
    expect(args.slice(8, 21)).toEqual([
      NOW_MS - 1_000,
      NOW_MS,
      epochMinute(NOW_MS - 1_000),
      epochHour(NOW_MS - 1_000),
      1,
      1,
      'synack',
      '{}',
      50,
      604_800,
      'eu-west',
      'web-1:eu-west:syn',
      'syn',
    ]);
  });

  it('bins no RTT for a failure', () => {
    const args = ingestCommandArgs('p', { ...input, success: false, outcome: 'timeout', rttUs: null }, NOW_MS);
    expect(args.slice(12, 14)).toEqual([0, -1]);
  });

  it('refuses names that would break the key layout, and bad numbers', () => {
    expect(() => ingestCommandArgs('p', { ...input, target: 'a:b' }, NOW_MS)).toThrow(TypeError);
    expect(() => ingestCommandArgs('p', { ...input, region: 'EU' }, NOW_MS)).toThrow(TypeError);
    expect(() => ingestCommandArgs('p', { ...input, id: '' }, NOW_MS)).toThrow(TypeError);
    expect(() => ingestCommandArgs('p', { ...input, historyLength: 0 }, NOW_MS)).toThrow(RangeError);
    expect(() => ingestCommandArgs('p', { ...input, idTtlS: 1.5 }, NOW_MS)).toThrow(RangeError);
    expect(() => ingestCommandArgs('p', { ...input, rttUs: -5 }, NOW_MS)).toThrow(RangeError);
    expect(() => ingestCommandArgs('p', { ...input, slo: { thresholdMs: 0, state: 'good' } }, NOW_MS)).toThrow(
      RangeError,
    );
  });

  it('names the SLO rings of the threshold, and passes the SLO state (empty without an SLO)', () => {
    const args = ingestCommandArgs('p', { ...input, slo: { thresholdMs: 250, state: 'excluded' } }, NOW_MS);
    expect(args.slice(6, 8)).toEqual(['p:slo:m:web-1:eu-west:250', 'p:slo:h:web-1:eu-west:250']);
    expect(args.slice(-3)).toEqual(['excluded', 3, 32]);
    expect(ingestCommandArgs('p', input, NOW_MS).slice(-3)).toEqual(['', 3, 32]);
  });
});

describe('parseIngestReply', () => {
  it('accepts the three results only', () => {
    expect(parseIngestReply('duplicate')).toBe('duplicate');
    expect(() => parseIngestReply(1)).toThrow(TypeError);
  });
});
