import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './duration.ts';

describe('parseDurationMs', () => {
  it('reads units and bare numbers', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('2')).toBe(2000);
    expect(parseDurationMs('2', 'ms')).toBe(2);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('30d')).toBe(2_592_000_000);
  });

  it('returns undefined for anything else', () => {
    for (const bad of ['', 's', '-1s', '1w', '1 2s', 'fast']) expect(parseDurationMs(bad)).toBeUndefined();
  });
});
