import type { SloConfig } from '@synack/shared/config/synack-config';
import type { BurnDownPoint, SliWindow, SloReport } from '@synack/shared/wire/slo-report';
import { budgetRemaining, burnRate, evaluateBurnAlerts, type SliBucket, sliOver } from './slo-math.ts';

const HOUR_MS = 3_600_000;

/** What the report is about: a target with an SLO, and the regions that probe it. */
export type SloSubject = { target: string; group: string | null; slo: SloConfig };

/**
 * A target's SLO report at `nowMs` from its SLI buckets per region (slo-ring.ts): the SLI over
 * the window overall and per region, the budget left, the burn rate over each alert window, the
 * alerts' states and an hourly burn-down. Pure.
 */
export function sloReport(
  subject: SloSubject,
  byRegion: Readonly<Record<string, readonly SliBucket[]>>,
  nowMs: number,
  windowMs: number = subject.slo.windowMs,
): SloReport {
  const { slo } = subject;
  const objective = { objective: slo.objective, windowMs };
  const all = mergeBuckets(Object.values(byRegion));
  const overall = sliOver(all, HOUR_MS, windowMs, nowMs);
  const regions: Record<string, SliWindow> = {};
  for (const [region, buckets] of Object.entries(byRegion))
    regions[region] = sliOver(buckets, HOUR_MS, windowMs, nowMs);
  const alertWindows = [...new Set(slo.burnAlerts.flatMap((a) => [a.shortMs, a.longMs]))].sort((a, b) => a - b);
  return {
    target: subject.target,
    group: subject.group,
    objective: slo.objective,
    windowMs,
    thresholdMs: slo.thresholdMs,
    overall,
    byRegion: regions,
    budgetRemaining: budgetRemaining(objective, overall),
    burnRates: alertWindows.map((w) => ({ windowMs: w, rate: burnRate(objective, sliOver(all, HOUR_MS, w, nowMs)) })),
    alerts: evaluateBurnAlerts(objective, all, HOUR_MS, nowMs, slo.burnAlerts),
    burnDown: burnDown(all, slo.objective, windowMs, nowMs),
    computedAtMs: nowMs,
  };
}

/** Buckets of several regions as one list, summed where they share a start, oldest first. */
export function mergeBuckets(lists: readonly (readonly SliBucket[])[]): SliBucket[] {
  // Regions' buckets line up (the same rings at the same time): one per start, keyed by number.
  const byKey = new Map<number, SliBucket>();
  for (const list of lists) {
    for (const b of list) {
      const key = b.startMs;
      const sum = byKey.get(key);
      if (sum) {
        sum.good += b.good;
        sum.total += b.total;
        sum.excluded += b.excluded;
      } else byKey.set(key, { ...b });
    }
  }
  return [...byKey.values()].sort((a, b) => a.startMs - b.startMs);
}

/**
 * The budget burn-down over the window ending now, one point an hour: at each point, the share of
 * the window's error budget (allowed failures over all its attempts) not yet spent by the
 * failures since the window began. It falls only when attempts fail and ends at the budget left
 * now; `null` points while the window has no data.
 */
export function burnDown(
  buckets: readonly SliBucket[],
  objective: number,
  windowMs: number,
  nowMs: number,
): BurnDownPoint[] {
  const from = nowMs - windowMs;
  // The buckets sliOver counts: those that overlap the window.
  const inWindow = buckets.filter((b) => b.startMs + (b.durationMs ?? HOUR_MS) > from && b.startMs <= nowMs);
  const total = inWindow.reduce((n, b) => n + b.total, 0);
  // The config keeps objectives below 100%, so a window with attempts always has a budget.
  const budget = (1 - objective) * total;
  const remaining = (bad: number) => (total === 0 || budget <= 0 ? null : 1 - bad / budget);
  const spentFrom = (index: number) => inWindow.slice(index).reduce((n, b) => n + b.total - b.good, 0);
  const points: BurnDownPoint[] = [];
  let bad = 0;
  let next = 0;
  const firstPoint = Math.ceil(from / HOUR_MS) * HOUR_MS;
  for (let at = firstPoint; at <= nowMs; at += HOUR_MS) {
    while (next < inWindow.length && (inWindow[next]?.startMs ?? 0) < at) {
      const b = inWindow[next++] as SliBucket;
      bad += b.total - b.good;
    }
    points.push({ atMs: at, budgetRemaining: remaining(bad) });
  }
  if (points.at(-1)?.atMs !== nowMs) points.push({ atMs: nowMs, budgetRemaining: remaining(bad + spentFrom(next)) });
  return points;
}
