import { describe, expect, it } from 'vitest';
import { durationOption, integerOption } from './cli-options.ts';

describe('CLI option parsing', () => {
  it('reads durations and integers', () => {
    expect(durationOption('--timeout', '2500ms')).toBe(2500);
    expect(durationOption('--interval', '2')).toBe(2000);
    expect(integerOption('--count', '0', 0, 10)).toBe(0);
  });

  it('names the option and the bad value', () => {
    expect(() => durationOption('--timeout', 'soon')).toThrow(
      '--timeout: expected a duration such as 500ms, 2s or 1m (at most 3600 s), got "soon"',
    );
    expect(() => durationOption('--timeout', '0ms')).toThrow('--timeout');
    expect(() => durationOption('--timeout', '30d')).toThrow('at most 3600 s');
    expect(() => integerOption('--count', '-1', 0, 10)).toThrow('--count: expected an integer 0..10, got "-1"');
    expect(() => integerOption('--count', '2.5', 0, 10)).toThrow('--count');
    expect(() => integerOption('--source-ports', '2000', 1, 1024)).toThrow('expected an integer 1..1024');
  });
});
