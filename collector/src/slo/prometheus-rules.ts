import { stringify } from 'yaml';
import type { BurnAlert } from './slo-math.ts';
import { checkSloSpecs, distinctBurnAlerts, formatDuration, type SloSpec } from './slo-spec.ts';

type RecordingRule = { record: string; expr: string; labels: Record<string, string> };
type AlertingRule = {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};

/**
 * A Prometheus rule file for the SLOs, one group per target (recording rules first, so the alerts
 * read this evaluation's values): `synack:slo_error_ratio:rate<window>` for each window its alerts
 * use, and per alert the SRE workbook's multiwindow, multi-burn-rate rule (ch. 5), e.g.
 * `synack:slo_error_ratio:rate1h{target="web"} > 0.0144 and synack:slo_error_ratio:rate5m{target="web"} > 0.0144`,
 * named `SynackHandshakeSloBurnRate<Severity><long><short>` and labelled `severity` and `target`.
 * No data (no attempts in a window) never fires. Pure; throws a RangeError for invalid specs.
 */
export function prometheusRulesYaml(specs: readonly SloSpec[]): string {
  checkSloSpecs(specs);
  const groups = specs.map((spec) => {
    const alerts = distinctBurnAlerts(spec.alerts);
    return {
      name: `synack-slo-${spec.target}`,
      rules: [...recordingRules(spec, alerts), ...alertingRules(spec, alerts)],
    };
  });
  return stringify({ groups }, { lineWidth: 0 });
}

const errorRatioName = (windowMs: number) => `synack:slo_error_ratio:rate${formatDuration(windowMs)}`;
const selector = (target: string) => `{target=${JSON.stringify(target)}}`;

function recordingRules(spec: SloSpec, alerts: readonly BurnAlert[]): RecordingRule[] {
  const windowsMs = [...new Set(alerts.flatMap((alert) => [alert.longMs, alert.shortMs]))].sort((a, b) => a - b);
  const where = selector(spec.target);
  return windowsMs.map((windowMs) => {
    const range = formatDuration(windowMs);
    const rate = (metric: string) => `sum by (target) (rate(${metric}${where}[${range}]))`;
    return {
      record: errorRatioName(windowMs),
      expr: `1 - (${rate('synack_slo_good_total')} / ${rate('synack_slo_attempts_total')})`,
      labels: { target: spec.target },
    };
  });
}

function alertingRules(spec: SloSpec, alerts: readonly BurnAlert[]): AlertingRule[] {
  const where = selector(spec.target);
  const objective = decimal(spec.objective);
  const window = formatDuration(spec.windowMs);
  return alerts.map((alert) => {
    const long = formatDuration(alert.longMs);
    const short = formatDuration(alert.shortMs);
    // The error ratio at which the budget burns `factor` times too fast: factor × (1 − objective),
    // in decimal arithmetic so that 14.4 × (1 − 0.999) prints as 0.0144.
    const threshold = times(decimal(alert.factor), minus(decimal(1), objective));
    const thresholdText = decimalText(threshold);
    const severity = alert.severity;
    return {
      alert: `SynackHandshakeSloBurnRate${severity.charAt(0).toUpperCase()}${severity.slice(1)}${long}${short}`,
      expr:
        `${errorRatioName(alert.longMs)}${where} > ${thresholdText} and ` +
        `${errorRatioName(alert.shortMs)}${where} > ${thresholdText}`,
      labels: { ...spec.labels, severity, target: spec.target },
      annotations: {
        summary: `TCP handshakes to ${spec.target}: SLO error budget burn rate above ${alert.factor} over ${long} and ${short}`,
        description:
          `Over both the last ${long} and ${short}, more than ${percentText(threshold)}% of TCP handshakes to ` +
          `${spec.target} failed or took longer than ${spec.thresholdMs} ms (last ${long}: {{ $value | humanizePercentage }}). ` +
          `That spends the error budget of its ${percentText(objective)}% objective over ${window} ` +
          `at over ${alert.factor}x the rate that would just last the window.`,
      },
    };
  });
}

/** An exact decimal: `units / 10^scale`. */
type Decimal = { units: bigint; scale: number };

/** The decimal a number prints as (its shortest round-trip form), so 0.999 is exactly 999/1000. */
function decimal(n: number): Decimal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
  if (match === null) throw new RangeError(`expected a finite number, got ${n}`);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const scale = fraction.length - Number(exponent);
  const units = BigInt(`${sign}${whole}${fraction}`);
  return scale >= 0 ? { units, scale } : { units: units * 10n ** BigInt(-scale), scale: 0 };
}

const times = (a: Decimal, b: Decimal): Decimal => ({ units: a.units * b.units, scale: a.scale + b.scale });

function minus(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  const align = (d: Decimal) => d.units * 10n ** BigInt(scale - d.scale);
  return { units: align(a) - align(b), scale };
}

/** Plain decimal text, no exponent and no trailing zeros: PromQL and YAML read it as it is. */
function decimalText(d: Decimal): string {
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  const whole = digits.slice(0, digits.length - d.scale);
  const fraction = digits.slice(digits.length - d.scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

const percentText = (d: Decimal) => decimalText(times(d, decimal(100)));
