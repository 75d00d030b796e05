import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU and peak memory of another process, from /proc. */
export type ProcUsage = { cpuSeconds: number; systemCpuSeconds: number; peakRssMiB: number };

let ticksPerSecond: number | undefined;

/**
 * Reads utime + stime (all threads, in clock ticks) from `/proc/<pid>/stat` and VmHWM from
 * `/proc/<pid>/status`. The tick length comes from `getconf CLK_TCK` (100 nearly everywhere), as
 * Node has no sysconf(). At 10 ms a tick, runs must last seconds of CPU to be read precisely.
 */
export function procUsage(pid: number): ProcUsage {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses; the fields after its last
  // ')' start at field 3 (state), so utime and stime (fields 14 and 15) are at 11 and 12 here.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime + stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return {
    cpuSeconds: (utime + stime) / ticksPerSecond,
    systemCpuSeconds: stime / ticksPerSecond,
    peakRssMiB: hwm ? Math.round(Number(hwm[1]) / 1024) : 0,
  };
}
