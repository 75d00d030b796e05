import { formatDurationMs } from './config-fields.ts';
import type { RawSettings } from './config-schema.ts';
import type { PathIssue } from './resolve-config.ts';

/** Built-in interval when no level sets one. */
export const DEFAULT_INTERVAL_MS = 30_000;

/**
 * One step of the settings chain, most specific first: the target, its group, `defaults`.
 * `invalid` names the settings whose value is unknown because it failed its check, or is `all`
 * for a group that does not exist.
 */
export type Level = {
  label: string;
  path: readonly (string | number)[];
  settings: Partial<RawSettings>;
  invalid: ReadonlySet<string> | 'all';
};

/** What `firstSetting` returns when a setting's value failed its check somewhere on the way. */
export const UNKNOWN = Symbol('unknown');

/**
 * The first level of the chain that sets `key`, with its value; `undefined` when none does (the
 * built-in default applies); `UNKNOWN` when a level on the way has an invalid value for it.
 */
export function firstSetting<K extends keyof RawSettings>(chain: readonly Level[], key: K) {
  for (const level of chain) {
    if (level.invalid === 'all' || level.invalid.has(key)) return UNKNOWN;
    const value = level.settings[key];
    if (value !== undefined) return { value: value as NonNullable<RawSettings[K]>, level };
  }
  return undefined;
}

/** `firstSetting` for building a config, when every level is known to be valid. */
export function knownSetting<K extends keyof RawSettings>(chain: readonly Level[], key: K) {
  const found = firstSetting(chain, key);
  return found === UNKNOWN ? undefined : found?.value;
}

/**
 * Reports a timeout longer than the interval where it arises: at the first level of `chain` that
 * sets either, comparing the nearest explicit timeout with the nearest interval (or 30 s). Levels
 * further up were checked on their own, so each conflict is reported once, not once per target.
 */
export function checkTimeout(chain: readonly Level[], issues: PathIssue[]): void {
  const [level] = chain;
  if (!level || level.invalid === 'all') return;
  if (level.settings.timeout === undefined && level.settings.interval === undefined) return;
  const timeout = firstSetting(chain, 'timeout');
  const interval = firstSetting(chain, 'interval');
  if (timeout === undefined || timeout === UNKNOWN || interval === UNKNOWN) return;
  const intervalMs = interval?.value ?? DEFAULT_INTERVAL_MS;
  if (timeout.value <= intervalMs) return;
  const from = (found: { level: Level } | undefined) =>
    found === undefined ? ' (the default)' : found.level === level ? '' : ` (from ${found.level.label})`;
  issues.push({
    path: [...level.path, level.settings.timeout === undefined ? 'interval' : 'timeout'],
    message: `timeout ${formatDurationMs(timeout.value)}${from(timeout)} is longer than the interval ${formatDurationMs(intervalMs)}${from(interval)}`,
  });
}
