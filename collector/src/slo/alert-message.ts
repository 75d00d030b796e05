import { formatDurationMs } from '@synack/shared/config/config-fields';
import type { SloAlertState, SloReport } from '@synack/shared/wire/slo-report';

/** A burn-rate alert that started or stopped firing. */
export type AlertTransition = { report: SloReport; alert: SloAlertState; status: 'firing' | 'resolved' };

/** The alert's identity, stable across evaluations: target, severity and windows. */
export function alertKey(target: string, alert: Pick<SloAlertState, 'severity' | 'longMs' | 'shortMs'>): string {
  return `${target}|${alert.severity}|${formatDurationMs(alert.longMs)}/${formatDurationMs(alert.shortMs)}`;
}

const percent = (ratio: number | null, digits = 3) =>
  ratio === null ? 'no data' : `${Number((ratio * 100).toFixed(digits))}%`;
const times = (burn: number | null) => (burn === null ? 'no data' : `${burn.toFixed(1)}×`);

/** One line a person reads in Slack or a log. Pure. */
export function alertText(t: AlertTransition): string {
  const { report, alert } = t;
  const windows = `${formatDurationMs(alert.longMs)} and ${formatDurationMs(alert.shortMs)}`;
  const what = `${report.target}: handshake SLO ${percent(report.objective)} within ${report.thresholdMs} ms`;
  if (t.status === 'resolved')
    return `RESOLVED [${alert.severity}] ${what}: the burn rate is back under ${alert.factor}× over ${windows}`;
  return `FIRING [${alert.severity}] ${what}: the error budget burns ${times(alert.longBurn)} (${formatDurationMs(alert.longMs)}) and ${times(alert.shortBurn)} (${formatDurationMs(alert.shortMs)}), over the ${alert.factor}× threshold; budget left ${percent(report.budgetRemaining, 1)} of ${formatDurationMs(report.windowMs)}`;
}

/** Slack incoming-webhook payload. Pure. */
export function slackPayload(t: AlertTransition): { text: string } {
  return { text: `${t.status === 'firing' ? ':rotating_light:' : ':white_check_mark:'} ${alertText(t)}` };
}

/** Generic webhook payload: the facts, for machines. Pure. */
export function webhookPayload(t: AlertTransition) {
  const { report, alert } = t;
  return {
    source: 'synack',
    status: t.status,
    key: alertKey(report.target, alert),
    target: report.target,
    group: report.group,
    severity: alert.severity,
    longWindowMs: alert.longMs,
    shortWindowMs: alert.shortMs,
    factor: alert.factor,
    longBurn: alert.longBurn,
    shortBurn: alert.shortBurn,
    objective: report.objective,
    thresholdMs: report.thresholdMs,
    budgetRemaining: report.budgetRemaining,
    atMs: report.computedAtMs,
    text: alertText(t),
  };
}
