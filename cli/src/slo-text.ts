import { formatDurationMs } from '@synack/shared/config/config-fields';
import type { SliWindow, SloReport, SloReportList } from '@synack/shared/wire/slo-report';
import { markdownTable, textTable } from './text-table.ts';

const pct = (ratio: number | null, digits = 3) => (ratio === null ? '-' : `${Number((ratio * 100).toFixed(digits))}%`);
const burn = (rate: number | null) => (rate === null ? '-' : `${rate.toFixed(2)}×`);
const counts = (w: SliWindow) => `${w.good}/${w.total}${w.excluded > 0 ? ` (+${w.excluded} excluded)` : ''}`;

function state(report: SloReport): string {
  const firing = report.alerts.filter((a) => a.firing);
  if (firing.length > 0)
    return firing
      .map((a) => `${a.severity.toUpperCase()} ${formatDurationMs(a.longMs)}/${formatDurationMs(a.shortMs)}`)
      .join(', ');
  if (report.budgetRemaining === null) return 'no data';
  return report.budgetRemaining < 0 ? 'objective missed' : 'ok';
}

/**
 * `synack slo report` as a table or Markdown: a row per SLO (objective, window, SLI with good and
 * counted attempts and the excluded ones, budget left, burn rates, alert state), then a row per
 * region. Pure.
 */
export function formatSloReport(list: SloReportList, format: 'table' | 'markdown'): string {
  if (list.slos.length === 0)
    return 'No SLO configured: add slo: { objective: 99.9%, threshold: 500ms } to a target, a group or defaults.';
  const rows = [
    ['target', 'region', 'objective', 'window', 'within', 'SLI', 'good/counted', 'budget left', 'burn', 'state'],
  ];
  for (const r of list.slos) {
    const burns = r.burnRates.map((b) => `${formatDurationMs(b.windowMs)} ${burn(b.rate)}`).join(' ');
    const coverage =
      r.overall.coverage < 0.999 && r.overall.total > 0 ? ` (${pct(r.overall.coverage, 0)} of window)` : '';
    rows.push([
      r.target,
      'all',
      pct(r.objective),
      formatDurationMs(r.windowMs),
      `${r.thresholdMs} ms`,
      `${pct(r.overall.ratio)}${coverage}`,
      counts(r.overall),
      pct(r.budgetRemaining, 1),
      burns,
      state(r),
    ]);
    for (const [region, w] of Object.entries(r.byRegion).sort(([a], [b]) => (a < b ? -1 : 1)))
      rows.push(['', region, '', '', '', pct(w.ratio), counts(w), '', '', '']);
  }
  return format === 'markdown' ? markdownTable(rows) : textTable(rows);
}
