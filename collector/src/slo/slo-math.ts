/**
 * Counts of one time bucket of a series: attempts that were good (completed within the SLI's
 * threshold), all attempts counted, and those excluded (their runner failed its own self-check).
 */
export type SliBucket = {
  startMs: number;
  good: number;
  total: number;
  excluded: number;
  /** The bucket's length when it differs from the `bucketMs` the functions are given (mixed rings). */
  durationMs?: number;
};

/** An objective: the fraction of good attempts promised (e.g. 0.999) over a rolling window. */
export type SloObjective = { objective: number; windowMs: number };

/** The SLI over a window, and how much of the window the data covers. */
export type SliResult = {
  good: number;
  total: number;
  excluded: number;
  /** good / total; `null` with no data (no attempt is neither good nor bad). */
  ratio: number | null;
  /** The share of the window that has buckets (a window longer than the history is partly empty). */
  coverage: number;
};

/** A multi-window burn-rate alert (SRE workbook, ch. 5): fires when both windows burn faster than `factor`. */
export type BurnAlert = { severity: 'page' | 'ticket'; longMs: number; shortMs: number; factor: number };

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** The workbook's defaults for a 30-day objective: page at 14.4 (1h/5m) and 6 (6h/30m), ticket at 1 (3d/6h). */
export const DEFAULT_BURN_ALERTS: readonly BurnAlert[] = [
  { severity: 'page', longMs: HOUR, shortMs: 5 * MINUTE, factor: 14.4 },
  { severity: 'page', longMs: 6 * HOUR, shortMs: 30 * MINUTE, factor: 6 },
  { severity: 'ticket', longMs: 72 * HOUR, shortMs: 6 * HOUR, factor: 1 },
];

/**
 * The SLI over the `windowMs` before `nowMs`, from buckets of `bucketMs` (or each bucket's own
 * `durationMs`). A bucket counts whole when it overlaps the window, so the window reads up to one
 * bucket longer at its start, never shorter; the current bucket holds what has arrived so far.
 * `coverage` is the share of the window the buckets span. Pure.
 */
export function sliOver(buckets: readonly SliBucket[], bucketMs: number, windowMs: number, nowMs: number): SliResult {
  const from = nowMs - windowMs;
  let good = 0;
  let total = 0;
  let excluded = 0;
  let covered = 0;
  for (const b of buckets) {
    const end = b.startMs + (b.durationMs ?? bucketMs);
    if (end <= from || b.startMs > nowMs) continue;
    good += b.good;
    total += b.total;
    excluded += b.excluded;
    covered += Math.min(end, nowMs) - Math.max(b.startMs, from);
  }
  return { good, total, excluded, ratio: total === 0 ? null : good / total, coverage: Math.min(1, covered / windowMs) };
}

/**
 * The error budget left over the objective's window: 1 when nothing failed, 0 exactly at the
 * objective, negative once overspent; `null` without data. Pure.
 */
export function budgetRemaining(slo: SloObjective, sli: SliResult): number | null {
  if (sli.ratio === null) return null;
  const allowed = 1 - slo.objective;
  if (allowed <= 0) return sli.ratio === 1 ? 1 : Number.NEGATIVE_INFINITY;
  return 1 - (1 - sli.ratio) / allowed;
}

/**
 * How fast the budget burns over a window: the error ratio over the budget's (1 means spending it
 * exactly over the objective's window); `null` without data. Pure.
 */
export function burnRate(slo: SloObjective, sli: SliResult): number | null {
  if (sli.ratio === null) return null;
  const allowed = 1 - slo.objective;
  if (allowed <= 0) return sli.ratio === 1 ? 0 : Number.POSITIVE_INFINITY;
  return (1 - sli.ratio) / allowed;
}

/** One alert's state: both windows' burn rates, and whether it fires. */
export type BurnAlertState = BurnAlert & { longBurn: number | null; shortBurn: number | null; firing: boolean };

/**
 * Evaluates multi-window multi-burn-rate alerts at `nowMs`: an alert fires when the long and the
 * short window both burn above its factor (the short one makes it reset soon after a fix). No data
 * never fires. Pure.
 */
export function evaluateBurnAlerts(
  slo: SloObjective,
  buckets: readonly SliBucket[],
  bucketMs: number,
  nowMs: number,
  alerts: readonly BurnAlert[] = DEFAULT_BURN_ALERTS,
): BurnAlertState[] {
  return alerts.map((alert) => {
    const longBurn = burnRate(slo, sliOver(buckets, bucketMs, alert.longMs, nowMs));
    const shortBurn = burnRate(slo, sliOver(buckets, bucketMs, alert.shortMs, nowMs));
    const firing = longBurn !== null && shortBurn !== null && longBurn > alert.factor && shortBurn > alert.factor;
    return { ...alert, longBurn, shortBurn, firing };
  });
}
