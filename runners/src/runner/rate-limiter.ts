/**
 * Token buckets per target: at most `perSecond` probes a second to one target from this runner,
 * with bursts up to `burst` (at least `perSecond`), so that one round of a target (each probe kind
 * against each of its addresses) fits. Pure: time is passed in. Buckets of targets not seen for a
 * minute are dropped, so on-demand targets do not accumulate.
 */
export class RateLimiter {
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private sweptAtMs = 0;

  constructor(perSecond: number, burst = perSecond) {
    if (!(perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${perSecond}`);
    this.perSecond = perSecond;
    this.burst = Math.max(perSecond, burst);
  }

  /** Takes one token for `key` at `nowMs`; false when the bucket is empty. */
  take(key: string, nowMs: number): boolean {
    this.sweep(nowMs);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, atMs: nowMs };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.perSecond);
    bucket.atMs = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.sweptAtMs < 60_000) return;
    this.sweptAtMs = nowMs;
    for (const [key, bucket] of this.buckets) if (nowMs - bucket.atMs > 60_000) this.buckets.delete(key);
  }
}
