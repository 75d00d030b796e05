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

type Group = {
  kind: AttemptRecord['kind'];
  address: string;
  sent: number;
  rtts: number[];
  failures: Record<string, number>;
};

/**
 * Ping-like statistics kept as attempts end, so a run with no end (`--count 0`) holds counters
 * and one RTT per answered attempt, never the records. Groups are by kind and target address,
 * in first-seen order.
 */
export class ProbeSummary {
  private readonly groups = new Map<string, Group>();

  add(record: AttemptRecord): void {
    const key = `${record.kind}|${record.target.address}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { kind: record.kind, address: record.target.address, sent: 0, rtts: [], failures: {} };
      this.groups.set(key, group);
    }
    group.sent++;
    if (isAnswered(record.outcome)) group.rtts.push(record.rttUs ?? 0);
    else group.failures[record.outcome] = (group.failures[record.outcome] ?? 0) + 1;
  }

  /** True when at least one attempt ended and every one was answered. */
  get allAnswered(): boolean {
    return this.groups.size > 0 && [...this.groups.values()].every((g) => g.rtts.length === g.sent);
  }

  rows(): SummaryRow[] {
    return [...this.groups.values()].map((group) => {
      const rtts = [...group.rtts].sort((a, b) => a - b);
      const sent = group.sent;
      return {
        kind: group.kind,
        address: group.address,
        sent,
        answered: rtts.length,
        lossPercent: Math.round(((sent - rtts.length) / sent) * 1000) / 10,
        failures: group.failures,
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
}

/** The statistics of a finished list of records (see {@link ProbeSummary}). */
export function summarizeAttempts(records: readonly AttemptRecord[]): SummaryRow[] {
  const summary = new ProbeSummary();
  for (const record of records) summary.add(record);
  return summary.rows();
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
