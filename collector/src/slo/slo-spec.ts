import type { BurnAlert } from './slo-math.ts';

/**
 * One target's connection-establishment SLO, as the exporters (OpenSLO, Prometheus rules) take it.
 * An attempt is good when its handshake completed within `thresholdMs`; attempts from a runner
 * failing its own self-check are excluded (they are not in `synack_slo_attempts_total`).
 */
export type SloSpec = {
  /** The target's configured name: the `target` label of the `synack_slo_*` metrics. */
  target: string;
  /** The target's group, if any: the OpenSLO service (the target itself otherwise). */
  group: string | null;
  /** The fraction of good attempts promised, in (0, 1), e.g. 0.999. */
  objective: number;
  /** The rolling window, a whole number of minutes; usually 30 days. */
  windowMs: number;
  /** A handshake slower than this is bad. */
  thresholdMs: number;
  /** Multi-window burn-rate alerts; windows are whole numbers of minutes. Usually `DEFAULT_BURN_ALERTS`. */
  alerts: readonly BurnAlert[];
  /** Extra labels for the alerts (`team: web`): Prometheus label names, not `target` or `severity`. */
  labels?: Readonly<Record<string, string>>;
};

const MINUTE_MS = 60_000;

/**
 * A duration in the shorthand both OpenSLO and Prometheus read, in the largest of d, h and m that
 * divides it: 30 days → `30d`, 72 hours → `3d`, 90 minutes → `90m`. Throws a RangeError, naming
 * `field`, when `ms` is not a positive whole number of minutes (OpenSLO has no seconds).
 */
export function formatDuration(ms: number, field = 'duration'): string {
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms % MINUTE_MS !== 0) {
    throw new RangeError(`${field}: expected a positive whole number of minutes, got ${ms} ms`);
  }
  const minutes = ms / MINUTE_MS;
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/**
 * The alerts to export: one per severity and pair of windows. Where several share those, the lowest
 * factor is kept, as it fires whenever the others would (same windows, lower bar). Order is kept.
 */
export function distinctBurnAlerts(alerts: readonly BurnAlert[]): BurnAlert[] {
  const byKey = new Map<string, BurnAlert>();
  for (const alert of alerts) {
    const key = `${alert.severity}/${alert.longMs}/${alert.shortMs}`;
    const kept = byKey.get(key);
    if (kept === undefined) byKey.set(key, alert);
    else if (alert.factor < kept.factor) byKey.set(key, { ...kept, factor: alert.factor });
  }
  return [...byKey.values()];
}

// Prometheus label names (they label the alerts), minus the reserved `__` prefix.
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_LABELS = new Set(['target', 'severity']);

/**
 * Checks specs before export, reporting every problem at once in one RangeError: a target named
 * twice or empty, an objective outside (0, 1), a window or alert window that is not a whole number
 * of minutes, a short window longer than its long one, a factor that is not positive, a bad label.
 */
export function checkSloSpecs(specs: readonly SloSpec[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const checkDuration = (ms: number, field: string) => {
    try {
      formatDuration(ms, field);
    } catch (error) {
      problems.push((error as RangeError).message);
    }
  };
  specs.forEach((spec, i) => {
    const at = `specs[${i}]`;
    check(spec.target.length > 0, `${at}.target: must not be empty`);
    check(!seen.has(spec.target), `${at}.target: ${JSON.stringify(spec.target)} appears twice`);
    seen.add(spec.target);
    check(
      spec.objective > 0 && spec.objective < 1,
      `${at}.objective: expected a fraction in (0, 1), got ${spec.objective}`,
    );
    check(
      Number.isFinite(spec.thresholdMs) && spec.thresholdMs > 0,
      `${at}.thresholdMs: expected > 0, got ${spec.thresholdMs}`,
    );
    checkDuration(spec.windowMs, `${at}.windowMs`);
    spec.alerts.forEach((alert, j) => {
      const alertAt = `${at}.alerts[${j}]`;
      checkDuration(alert.longMs, `${alertAt}.longMs`);
      checkDuration(alert.shortMs, `${alertAt}.shortMs`);
      check(
        alert.shortMs <= alert.longMs,
        `${alertAt}: shortMs (${alert.shortMs}) is longer than longMs (${alert.longMs})`,
      );
      check(Number.isFinite(alert.factor) && alert.factor > 0, `${alertAt}.factor: expected > 0, got ${alert.factor}`);
    });
    for (const key of Object.keys(spec.labels ?? {})) {
      check(
        LABEL_NAME.test(key) && !key.startsWith('__') && !RESERVED_LABELS.has(key),
        `${at}.labels: ${JSON.stringify(key)} is not a Prometheus label name, or is reserved (target, severity, __*)`,
      );
    }
  });
  if (problems.length > 0) throw new RangeError(`invalid SLO specs:\n${problems.join('\n')}`);
}
