import { describe, expect, it } from 'vitest';
import { emptyRing, HOUR_MS, HOUR_RING, MINUTE_MS, MINUTE_RING } from './bucket-math.ts';
import { bucketStarts, percentileFromBins, ringColumns, ringForWindow } from './read-series.ts';

// Bin edges (µs): 1,000 | 5,000 | 20,000 | 100,000 | 500,000 | open.
describe('percentileFromBins', () => {
  it('interpolates inside the bin that holds the rank', () => {
    // 10 RTTs in (1 ms, 5 ms]: rank 5 is halfway through the bin, 1,000 + 4,000 * 5/10.
    expect(percentileFromBins([0, 10, 0, 0, 0, 0], 0.5)).toBe(3000);
    // rank 9: 1,000 + 4,000 * 9/10.
    expect(percentileFromBins([0, 10, 0, 0, 0, 0], 0.9)).toBe(4600);
  });

  it('starts the first bin at 0 and ends a rank on a bin edge at that edge', () => {
    // 4 RTTs: 2 in [0, 1 ms], 2 in (1, 5 ms]. p50 = rank 2 = the end of the first bin.
    expect(percentileFromBins([2, 2, 0, 0, 0, 0], 0.5)).toBe(1000);
    // p25 = rank 1: halfway through the first bin.
    expect(percentileFromBins([2, 2, 0, 0, 0, 0], 0.25)).toBe(500);
    // p90 = rank 3.6: 1,000 + 4,000 * 1.6/2.
    expect(percentileFromBins([2, 2, 0, 0, 0, 0], 0.9)).toBe(4200);
  });

  it('skips empty bins on the way', () => {
    // 5 in (1, 5 ms], 5 in (100, 500 ms]. p90 = rank 9: 100,000 + 400,000 * 4/5.
    expect(percentileFromBins([0, 5, 0, 0, 5, 0], 0.9)).toBe(420_000);
    // p50 = rank 5 = the end of the (1, 5 ms] bin, not somewhere in the empty ones after it.
    expect(percentileFromBins([0, 5, 0, 0, 5, 0], 0.5)).toBe(5000);
  });

  it('reports the last edge for a rank in the open bin: a floor', () => {
    // 100 RTTs, 2 above 500 ms: p99 = rank 99 falls in the open bin.
    expect(percentileFromBins([0, 98, 0, 0, 0, 2], 0.99)).toBe(500_000);
    expect(percentileFromBins([0, 0, 0, 0, 0, 3], 0.5)).toBe(500_000);
  });

  it('is null without RTTs and refuses a bad quantile or bin count', () => {
    expect(percentileFromBins([0, 0, 0, 0, 0, 0], 0.5)).toBeNull();
    expect(() => percentileFromBins([1, 0, 0, 0, 0, 0], 0)).toThrow(RangeError);
    expect(() => percentileFromBins([1, 0, 0, 0, 0, 0], 1.5)).toThrow(RangeError);
    expect(() => percentileFromBins([1, 0, 0], 0.5)).toThrow(RangeError);
  });
});

describe('bucketStarts and ringForWindow', () => {
  const now = Date.UTC(2026, 0, 15, 10, 25, 30);

  it('uses minutes up to 3 h and hours beyond', () => {
    expect(ringForWindow(3 * HOUR_MS)).toBe(MINUTE_RING);
    expect(ringForWindow(3 * HOUR_MS + 1)).toBe(HOUR_RING);
  });

  it('lists every bucket overlapping the window, the partial current one last', () => {
    // 10:20:30 .. 10:25:30 overlaps the minutes 10:20 .. 10:25.
    const starts = bucketStarts(MINUTE_RING, 5 * MINUTE_MS, now);
    expect(starts).toHaveLength(6);
    expect(starts[0]).toBe(Date.UTC(2026, 0, 15, 10, 20));
    expect(starts.at(-1)).toBe(Date.UTC(2026, 0, 15, 10, 25));
    // 6 h: 04:25:30 .. 10:25:30 overlaps the hours 04:00 .. 10:00.
    const hours = bucketStarts(HOUR_RING, 6 * HOUR_MS, now);
    expect(hours).toEqual([4, 5, 6, 7, 8, 9, 10].map((h) => Date.UTC(2026, 0, 15, h)));
  });

  it('stops at the ring reach', () => {
    const starts = bucketStarts(MINUTE_RING, 3 * HOUR_MS, now);
    expect(starts).toHaveLength(180);
    expect(starts[0]).toBe(Date.UTC(2026, 0, 15, 7, 26));
  });
});

describe('ringColumns', () => {
  it('turns buckets into ratio and percentile columns, null where nothing was attempted', () => {
    const now = Date.UTC(2026, 0, 15, 10, 25, 30);
    const ring = emptyRing(MINUTE_RING);
    const unit = (ms: number) => Math.floor(ms / MINUTE_MS);
    ring.headUnit = unit(now);
    const at = (ms: number) => unit(ms) % MINUTE_RING.size;
    // 10:24: 10 attempts, 8 answered within (1, 5 ms]; 10:25: 4 attempts, none answered.
    ring.buckets[at(now - MINUTE_MS)] = { attempts: 10, successes: 8, rttBins: [0, 8, 0, 0, 0, 0] };
    ring.buckets[at(now)] = { attempts: 4, successes: 0, rttBins: [0, 0, 0, 0, 0, 0] };
    const starts = bucketStarts(MINUTE_RING, 2 * MINUTE_MS, now);
    expect(ringColumns({ target: 'web', region: 'eu', kind: 'syn' }, ring, starts)).toEqual({
      region: 'eu',
      kind: 'syn',
      attempts: [0, 10, 4],
      successRatio: [null, 0.8, 0],
      // rank 4 of 8 in (1, 5 ms]: 1,000 + 4,000 * 4/8; rank 7.2: 1,000 + 4,000 * 7.2/8; rank 7.92.
      rttP50Us: [null, 3000, null],
      rttP90Us: [null, 4600, null],
      rttP99Us: [null, 4960, null],
    });
  });

  it('leaves out units past the head or out of reach', () => {
    const now = Date.UTC(2026, 0, 15, 10, 25, 30);
    const ring = emptyRing(MINUTE_RING);
    // Last written 200 minutes ago: the whole window is out of the ring's reach.
    ring.headUnit = Math.floor(now / MINUTE_MS) - 200;
    ring.buckets = ring.buckets.map(() => ({ attempts: 5, successes: 5, rttBins: [5, 0, 0, 0, 0, 0] }));
    const columns = ringColumns({ target: 'web', region: 'eu', kind: 'syn' }, ring, [now - MINUTE_MS, now]);
    expect(columns.attempts).toEqual([0, 0]);
    expect(columns.successRatio).toEqual([null, null]);
  });
});
