import { describe, expect, it } from 'vitest';
import { scheduledAtMs } from './region-runner.ts';

describe('scheduledAtMs', () => {
  it('reads the slot time from a Job Scheduler iteration id', () => {
    expect(scheduledAtMs({ id: 'repeat:i10000-s3:1763900000300', timestamp: 1763900000123, delay: 150 })).toBe(
      1763900000300,
    );
  });

  it('falls back to creation time plus delay for other jobs', () => {
    expect(scheduledAtMs({ id: 'by-hand', timestamp: 1000, delay: 250 })).toBe(1250);
    expect(scheduledAtMs({ id: undefined, timestamp: 1000, delay: 0 })).toBe(1000);
  });
});
