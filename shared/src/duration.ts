const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `1.5s`, `10s`, `5m`, `2h` or `30d` to milliseconds. A bare
 * number is taken in `bareUnit` (seconds by default, as ping does). Returns `undefined` when the
 * text is not a duration, so callers can name the field in their own error.
 */
export function parseDurationMs(text: string, bareUnit: 'ms' | 's' = 's'): number | undefined {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = UNITS_MS[match[2] ?? bareUnit];
  if (unit === undefined || !Number.isFinite(value)) return undefined;
  return Math.round(value * unit);
}
