/**
 * The SLO report: what `GET /v1/slo` and `GET /v1/slo/{target}` return, what `synack slo report`
 * prints and what the dashboard draws. Ratios are fractions (0.999, not 99.9).
 */

/** The SLI over one window: good attempts (completed within the threshold) out of those counted. */
export type SliWindow = {
  good: number;
  total: number;
  /** Attempts left out because their runner was failing its own self-check; not in `total`. */
  excluded: number;
  /** good / total; `null` without data. */
  ratio: number | null;
  /** The share of the window the stored buckets cover (a window longer than the history is partly empty). */
  coverage: number;
};

/** One burn-rate alert of the SLO, as evaluated at `computedAtMs`. */
export type SloAlertState = {
  severity: 'page' | 'ticket';
  longMs: number;
  shortMs: number;
  factor: number;
  longBurn: number | null;
  shortBurn: number | null;
  firing: boolean;
};

/** One point of the burn-down: the budget left over the window ending at `atMs`. */
export type BurnDownPoint = { atMs: number; budgetRemaining: number | null };

/** The SLO of one target. */
export type SloReport = {
  /** The target's name; an SLO set on a group applies to each of its targets. */
  target: string;
  group: string | null;
  /** The objective as a fraction, e.g. 0.999. */
  objective: number;
  windowMs: number;
  /** An attempt is good when its handshake completed within this many milliseconds. */
  thresholdMs: number;
  /** Over the whole window, all regions. */
  overall: SliWindow;
  /** Over the whole window, per region. */
  byRegion: Record<string, SliWindow>;
  /** 1 when nothing failed, 0 at the objective, negative once overspent; `null` without data. */
  budgetRemaining: number | null;
  /** Burn rate over each alert window (long and short), shortest first. */
  burnRates: { windowMs: number; rate: number | null }[];
  alerts: SloAlertState[];
  /** Hourly budget remaining over the window, oldest first (for the burn-down chart). */
  burnDown: BurnDownPoint[];
  computedAtMs: number;
};

/** `GET /v1/slo`. */
export type SloReportList = { slos: SloReport[]; computedAtMs: number };
