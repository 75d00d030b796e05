import { describe, expect, it } from 'vitest';
import type { SliBucket } from './slo-math.ts';
import { burnDown, mergeBuckets, sloReport } from './slo-report.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const hourly = (hoursAgo: number, good: number, total: number, excluded = 0): SliBucket => ({
  startMs: NOW - hoursAgo * HOUR,
  good,
  total,
  excluded,
  durationMs: HOUR,
});

describe('burnDown', () => {
  it('spends the window budget as failures happen, ending at the budget left', () => {
    // 4-hour window, objective 90%: 40 attempts, 4 may fail; 1 failed 3h ago, 2 failed 1h ago.
    const buckets = [hourly(4, 10, 10), hourly(3, 9, 10), hourly(2, 10, 10), hourly(1, 8, 10)];
    // (Rounded: 1 - 0.9 is not exactly 0.1 in binary.)
    expect(burnDown(buckets, 0.9, 4 * HOUR, NOW).map((p) => Number(p.budgetRemaining?.toFixed(12)))).toEqual([
      1, // 4h ago: nothing spent yet
      1, // 3h ago: the bucket starting there is not in yet
      0.75, // 2h ago: 1 of 4 spent
      0.75,
      0.25, // now: 3 of 4 spent
    ]);
  });

  it('gives null points without data', () => {
    expect(burnDown([], 0.999, 2 * HOUR, NOW)).toEqual([
      { atMs: NOW - 2 * HOUR, budgetRemaining: null },
      { atMs: NOW - HOUR, budgetRemaining: null },
      { atMs: NOW, budgetRemaining: null },
    ]);
  });
});

describe('sloReport', () => {
  const subject = {
    target: 'web',
    group: 'edge',
    slo: {
      objective: 0.99,
      windowMs: 24 * HOUR,
      thresholdMs: 300,
      burnAlerts: [{ severity: 'page' as const, longMs: 2 * HOUR, shortMs: HOUR, factor: 10 }],
    },
  };

  it('sums regions, and fires an alert only when both windows burn above the factor', () => {
    const report = sloReport(
      subject,
      { a: [hourly(5, 100, 100), hourly(1, 80, 100)], b: [hourly(5, 100, 100, 3), hourly(1, 90, 100)] },
      NOW,
    );
    expect(report.byRegion.a).toMatchObject({ good: 180, total: 200, ratio: 0.9 });
    expect(report.byRegion.b).toMatchObject({ good: 190, total: 200, excluded: 3 });
    expect(report.overall).toMatchObject({ good: 370, total: 400, excluded: 3 });
    // 30 bad of 400 with 1% allowed (4): 7.5 budgets spent.
    expect(report.budgetRemaining).toBeCloseTo(1 - 30 / 4, 10);
    // Last 1h and 2h: 30 bad of 200 = 15% error, burn 15 > 10 in both.
    expect(report.burnRates).toEqual([
      { windowMs: HOUR, rate: expect.closeTo(15, 10) },
      { windowMs: 2 * HOUR, rate: expect.closeTo(15, 10) },
    ]);
    expect(report.alerts[0]).toMatchObject({ firing: true });
    // A report over a shorter window (as `--window` asks) reads only that span.
    expect(sloReport(subject, { a: [hourly(5, 100, 100), hourly(1, 100, 100)] }, NOW, 2 * HOUR).overall).toMatchObject({
      good: 100,
      total: 100,
    });
  });

  it('ends its burn-down at the budget left, a bucket straddling the window start included', () => {
    // Window 24 h at 12:30: the bucket from 12:00 the day before overlaps it, and counts.
    const now = NOW + 30 * 60_000;
    const report = sloReport(subject, { a: [hourly(24, 90, 100), hourly(1, 100, 100)] }, now);
    expect(report.overall.total).toBe(200);
    expect(report.burnDown.at(-1)?.budgetRemaining).toBeCloseTo(report.budgetRemaining ?? Number.NaN, 10);
  });

  it('reports no data as nulls, never as a breach', () => {
    const report = sloReport(subject, {}, NOW);
    expect(report).toMatchObject({ budgetRemaining: null, overall: { ratio: null, total: 0, coverage: 0 } });
    expect(report.alerts.every((a) => !a.firing)).toBe(true);
  });

  it('is exactly at the objective with no budget left', () => {
    const report = sloReport(subject, { a: [hourly(3, 99, 100)] }, NOW);
    expect(report.overall.ratio).toBe(0.99);
    expect(report.budgetRemaining).toBeCloseTo(0, 10);
  });
});

describe('mergeBuckets', () => {
  it('adds buckets of the same start and length, keeping others apart, oldest first', () => {
    const minute: SliBucket = { startMs: NOW - HOUR, good: 1, total: 1, excluded: 0, durationMs: 60_000 };
    expect(mergeBuckets([[hourly(2, 1, 2)], [hourly(2, 3, 4, 1), minute]])).toEqual([
      { ...hourly(2, 4, 6, 1) },
      minute,
    ]);
  });
});
