import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('allows a burst of perSecond, then refills at perSecond', () => {
    const limiter = new RateLimiter(2);
    expect([limiter.take('a', 0), limiter.take('a', 0), limiter.take('a', 0)]).toEqual([true, true, false]);
    expect(limiter.take('b', 0)).toBe(true);
    expect(limiter.take('a', 499)).toBe(false);
    expect(limiter.take('a', 500)).toBe(true);
    expect(limiter.take('a', 10_000)).toBe(true);
    expect(limiter.take('a', 10_000)).toBe(true);
    expect(limiter.take('a', 10_000)).toBe(false);
  });

  it('allows a larger burst when asked, refilling at the same rate', () => {
    const limiter = new RateLimiter(1, 4);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('a', 0))).toEqual([true, true, true, true, false]);
    expect(limiter.take('a', 999)).toBe(false);
    expect(limiter.take('a', 1000)).toBe(true);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });
});

describe('ConcurrencyLimit', () => {
  it('runs at most limit tasks at once, in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const tasks = [0, 1, 2, 3].map((i) =>
      limit.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(i);
            releases[i] = () => resolve(i);
          }),
      ),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limit.inFlight).toBe(2);
    releases[0]?.();
    await tasks[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const i of [1, 2]) releases[i]?.();
    await new Promise((r) => setImmediate(r));
    releases[3]?.();
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3]);
  });
});
