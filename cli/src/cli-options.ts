import { parseDurationMs } from '@synack/shared/duration';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';

// Node clamps timers beyond 2^31-1 ms to 1 ms; an hour is more than any handshake needs.
const MAX_DURATION_MS = 3_600_000;

/** Parses a duration option (`500ms`, `2s`, bare numbers in seconds) or throws naming the option. */
export function durationOption(name: string, text: string, { min = 1, max = MAX_DURATION_MS } = {}): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < min || ms > max) {
    const bounds = min > 1 ? ` (${min} ms to ${max / 1000} s)` : ` (at most ${max / 1000} s)`;
    throw new SynackError(
      ErrorCode.badOption,
      `${name}: expected a duration such as 500ms, 2s or 1m${bounds}, got "${text}"`,
    );
  }
  return ms;
}

/** Parses an integer option within bounds or throws naming the option. */
export function integerOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text.trim()) || n < min || n > max) {
    throw new SynackError(ErrorCode.badOption, `${name}: expected an integer ${min}..${max}, got "${text}"`);
  }
  return n;
}
