import type { AttemptRecord } from '@synack/shared/attempt-record';
import { isAnswered } from '@synack/shared/probe-outcome';

/** Ping-like statistics for one probe kind and address. */
export type SummaryRow = {
  kind: AttemptRecord['kind'];
  address: string;
  sent: number;
  answered: number;
  lossPercent: number;
  /** Count per failing outcome, e.g. `{ timeout: 2 }`. */
  failures: Record<string, number>;
  /** RTT statistics over answered attempts, in µs; `null` when none answered. */
  rtt: { min: number; avg: number; p99: number; max: number } | null;
};

/** Nearest-rank percentile (p in 0..100) of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Groups records by kind and target address, in first-seen order. */
export function summarizeAttempts(records: readonly AttemptRecord[]): SummaryRow[] {
  const groups = new Map<string, AttemptRecord[]>();
  for (const r of records) {
    const key = `${r.kind}|${r.target.address}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as AttemptRecord;
    const rtts: number[] = [];
    const failures: Record<string, number> = {};
    for (const r of group) {
      if (isAnswered(r.outcome)) rtts.push(r.rttUs ?? 0);
      else failures[r.outcome] = (failures[r.outcome] ?? 0) + 1;
    }
    rtts.sort((a, b) => a - b);
    const sent = group.length;
    return {
      kind: first.kind,
      address: first.target.address,
      sent,
      answered: rtts.length,
      lossPercent: Math.round(((sent - rtts.length) / sent) * 1000) / 10,
      failures,
      rtt: rtts.length
        ? {
            min: rtts[0] as number,
            avg: Math.round(rtts.reduce((a, b) => a + b, 0) / rtts.length),
            p99: percentile(rtts, 99),
            max: rtts[rtts.length - 1] as number,
          }
        : null,
    };
  });
}

/** The closing block of `synack probe`, one line per kind and address. */
export function formatSummary(title: string, rows: readonly SummaryRow[]): string {
  const lines = [`--- ${title} statistics ---`];
  for (const row of rows) {
    const failed = Object.entries(row.failures)
      .map(([outcome, n]) => `${n} ${outcome}`)
      .join(', ');
    let line = `${row.kind.padEnd(7)} ${row.address}: ${row.sent} sent, ${row.answered} answered, ${row.lossPercent}% loss`;
    if (failed) line += ` (${failed})`;
    if (row.rtt) {
      const f = (us: number) => (us / 1000).toFixed(3);
      line += `, rtt min/avg/p99/max = ${f(row.rtt.min)}/${f(row.rtt.avg)}/${f(row.rtt.p99)}/${f(row.rtt.max)} ms`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}
