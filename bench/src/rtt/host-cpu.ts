import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Aggregate CPU jiffies from /proc/stat: host-wide, whatever the network namespace. */
export type CpuSample = { busy: number; total: number };

export function sampleHostCpu(): CpuSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // Fields 4 and 5 are idle and iowait; everything else (user, system, softirq, steal...) is busy.
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * Cores busy on the whole host between two samples. Set beside the probing process's own CPU it
 * shows competing load (another bench, say), which delays the reads whose timing is measured.
 */
export function hostBusyCores(from: CpuSample, to: CpuSample): number {
  const total = to.total - from.total;
  return total > 0 ? ((to.busy - from.busy) / total) * availableParallelism() : 0;
}
