import { describe, expect, it } from 'vitest';
import { budgetRemaining, burnRate, evaluateBurnAlerts, type SliBucket, sliOver } from './slo-math.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const slo = { objective: 0.999, windowMs: 30 * 24 * HOUR };

/** `minutes` one-minute buckets ending at NOW, each with `total` attempts of which `bad` failed. */
const minutes = (count: number, total: number, bad: number, endMs = NOW): SliBucket[] =>
  Array.from({ length: count }, (_, i) => ({
    startMs: endMs - (i + 1) * MINUTE,
    good: total - bad,
    total,
    excluded: 0,
  }));

describe('SLO maths', () => {
  it('computes the SLI, the budget and the burn rate by hand', () => {
    // 60 minutes × 1,000 attempts, 6 bad a minute: 360 bad of 60,000 = 0.6% errors.
    const sli = sliOver(minutes(60, 1000, 6), MINUTE, HOUR, NOW);
    expect(sli).toMatchObject({ good: 59_640, total: 60_000, coverage: 1 });
    expect(sli.ratio).toBeCloseTo(0.994, 10);
    // The budget is 0.1%: 0.6% errors is 6 budgets' worth, burning at 6×.
    expect(burnRate(slo, sli)).toBeCloseTo(6, 10);
    expect(budgetRemaining(slo, sli)).toBeCloseTo(-5, 10);
  });

  it('has no ratio, budget or burn without data, and a full budget with no failure', () => {
    const empty = sliOver([], MINUTE, HOUR, NOW);
    expect(empty).toEqual({ good: 0, total: 0, excluded: 0, ratio: null, coverage: 0 });
    expect(budgetRemaining(slo, empty)).toBeNull();
    expect(burnRate(slo, empty)).toBeNull();
    const perfect = sliOver(minutes(10, 100, 0), MINUTE, HOUR, NOW);
    expect(budgetRemaining(slo, perfect)).toBe(1);
    expect(burnRate(slo, perfect)).toBe(0);
  });

  it('is exactly out of budget at the objective', () => {
    // 1 bad in 1,000 = 99.9%.
    const sli = sliOver(minutes(1, 1000, 1), MINUTE, HOUR, NOW);
    expect(budgetRemaining(slo, sli)).toBeCloseTo(0, 10);
    expect(burnRate(slo, sli)).toBeCloseTo(1, 10);
  });

  it('says how little of a window longer than the history is covered', () => {
    const sli = sliOver(minutes(60, 10, 0), MINUTE, 24 * HOUR, NOW);
    expect(sli.total).toBe(600);
    expect(sli.coverage).toBeCloseTo(1 / 24, 10);
  });

  it('counts only buckets inside the window, and keeps exclusions apart', () => {
    const buckets: SliBucket[] = [
      { startMs: NOW - 2 * HOUR, good: 0, total: 100, excluded: 0 },
      { startMs: NOW - 30 * MINUTE, good: 90, total: 100, excluded: 7 },
      { startMs: NOW + MINUTE, good: 0, total: 100, excluded: 0 },
    ];
    expect(sliOver(buckets, MINUTE, HOUR, NOW)).toMatchObject({ good: 90, total: 100, excluded: 7, ratio: 0.9 });
  });

  it('pages when both windows burn fast, and stops once the short window recovers', () => {
    // The last hour: 2% errors (burn 20) in every minute.
    const burning = minutes(60, 1000, 20);
    const paged = evaluateBurnAlerts(slo, burning, MINUTE, NOW);
    expect(paged.map((a) => [a.severity, a.factor, a.firing])).toEqual([
      ['page', 14.4, true],
      ['page', 6, true],
      ['ticket', 1, true],
    ]);
    // Fixed 10 minutes ago: the 1h window still burns above 14.4? 50 of 60 minutes at 2%: 1.67%,
    // burn 16.7, but the 5m window is clean, so the page resets.
    const fixed = [...minutes(10, 1000, 0), ...minutes(50, 1000, 20, NOW - 10 * MINUTE)];
    const after = evaluateBurnAlerts(slo, fixed, MINUTE, NOW);
    expect(after[0]?.longBurn).toBeCloseTo(16.667, 2);
    expect(after[0]?.shortBurn).toBe(0);
    expect(after[0]?.firing).toBe(false);
    // No data: nothing fires.
    expect(evaluateBurnAlerts(slo, [], MINUTE, NOW).some((a) => a.firing)).toBe(false);
  });
});
