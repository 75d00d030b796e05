import { parseDurationMs } from '@synack/shared/duration';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';

/** Parses a duration option (`500ms`, `2s`, bare numbers in seconds) or throws naming the option. */
export function durationOption(name: string, text: string, { min = 1 } = {}): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < min) {
    throw new SynackError(
      ErrorCode.badOption,
      `${name}: expected a duration such as 500ms, 2s or 1m${min > 1 ? ` (at least ${min} ms)` : ''}, got "${text}"`,
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
