import type { TargetStatus } from '@synack/collector/api/target-status';
import { formatDurationUs } from '@synack/runners/report/format-duration';
import type { RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import { textTable as table } from './text-table.ts';

const ago = (atMs: number | null, nowMs: number) =>
  atMs === null ? '-' : `${Math.max(0, Math.round((nowMs - atMs) / 1000))}s ago`;

/** `synack status`: a row per target, region and probe kind, then the live runners. Pure. */
export function formatStatus(
  targets: readonly TargetStatus[],
  runners: readonly RunnerHeartbeat[],
  nowMs: number,
): string {
  const rows = [['target', 'region', 'kind', 'last', 'when', 'ok 5m', 'attempts 5m', 'rtt p50', 'rtt p99']];
  for (const t of targets) {
    rows.push([
      t.target,
      t.region,
      t.kind,
      t.lastOutcome ?? '-',
      ago(t.lastAtMs, nowMs),
      t.successRatio5m === null ? '-' : `${(t.successRatio5m * 100).toFixed(1)}%`,
      String(t.attempts5m),
      t.rttP50Us === null ? '-' : formatDurationUs(t.rttP50Us),
      t.rttP99Us === null ? '-' : formatDurationUs(t.rttP99Us),
    ]);
  }
  const runnerRows = [['runner', 'region', 'raw SYN', 'in flight', 'probed', 'control', 'seen']];
  for (const r of runners) {
    runnerRows.push([
      r.id,
      r.region,
      r.rawSyn ? 'yes' : 'no',
      String(r.inFlight),
      String(r.probed),
      r.control === null ? '-' : r.control.ok ? 'ok' : `FAIL (${r.control.outcome})`,
      ago(r.seenAtMs, nowMs),
    ]);
  }
  const noTargets = targets.length === 0 ? '\n(no results yet)' : '';
  const noRunners = runners.length === 0 ? '\n(no live runners)' : '';
  return `${table(rows)}${noTargets}\n\n${table(runnerRows)}${noRunners}`;
}
