import type { AttemptRecord } from '@synack/shared/attempt-record';
import { formatDurationUs } from './format-duration.ts';

/** One cell: the outcome, and the RTT, retransmissions, ICMP sender or error code that explain it. */
export function formatOutcomeCell(record: AttemptRecord): string {
  const parts: string[] = [record.outcome];
  if (record.rttUs !== null) parts.push(formatDurationUs(record.rttUs));
  if (record.retransmits > 0) parts.push(`${record.retransmits} retx`);
  if (record.icmp) parts.push(`${record.icmp.meaning} from ${record.icmp.from}`);
  if (record.error) parts.push(record.error.code);
  return parts.join(' ');
}

/**
 * What each region saw, side by side: a row per probe kind and address, a column per region.
 * A region with no record for a row shows `-`; one that never reported shows `no answer`.
 */
export function formatRegionTable(
  byRegion: Readonly<Record<string, readonly AttemptRecord[]>>,
  missing: readonly string[] = [],
): string {
  const regions = Object.keys(byRegion);
  const rows = new Map<string, Map<string, string>>();
  for (const region of regions) {
    for (const record of byRegion[region] ?? []) {
      const key = `${record.kind}\t${record.target.address}`;
      const row = rows.get(key) ?? new Map<string, string>();
      row.set(region, formatOutcomeCell(record));
      rows.set(key, row);
    }
  }
  const header = ['kind', 'address', ...regions];
  const lines = [header];
  for (const [key, row] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [kind, address] = key.split('\t') as [string, string];
    lines.push([kind, address, ...regions.map((r) => row.get(r) ?? (missing.includes(r) ? 'no answer' : '-'))]);
  }
  if (rows.size === 0) lines.push(['-', '-', ...regions.map((r) => (missing.includes(r) ? 'no answer' : '-'))]);
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return lines
    .map((l) =>
      l
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
