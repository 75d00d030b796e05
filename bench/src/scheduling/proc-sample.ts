import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU seconds (utime + stime, all threads) and memory of a process, from /proc. */
export type ProcSample = { cpuSeconds: number; rssMiB: number; hwmMiB: number };

let ticksPerSecond: number | undefined;

export function procSample(pid: number): ProcSample {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name's last ')' start at field 3: utime and stime are at 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot parse /proc/${pid}/stat`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: ticks / ticksPerSecond,
    rssMiB: round1(kib('VmRSS') / 1024),
    hwmMiB: round1(kib('VmHWM') / 1024),
  };
}

/** `name=pid,name=pid` → entries. */
export function parsePids(text: string): [string, number][] {
  return text
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [name, pid] = pair.split('=');
      if (!name || !(Number(pid) > 0)) throw new TypeError(`bad --pids entry "${pair}"`);
      return [name, Number(pid)];
    });
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Fields of one INFO section as numbers where numeric. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
