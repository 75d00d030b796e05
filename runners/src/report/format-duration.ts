/** Formats microseconds for people: `0.42 ms`, `12.3 ms`, `1.00 s`. */
export function formatDurationUs(us: number): string {
  if (us < 10_000) return `${(us / 1000).toFixed(2)} ms`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** Formats an offset from the first SYN, as in "retransmitted at +1.0 s". */
export function formatOffsetUs(us: number): string {
  return us >= 1_000_000 ? `+${(us / 1_000_000).toFixed(1)} s` : `+${(us / 1000).toFixed(0)} ms`;
}
