import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

// Renews only our own lease: a scheduler that stalled past its lease must not extend another's.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * A lease in Redis that makes exactly one scheduler act at a time: `SET NX PX` to take it, a
 * compare-and-extend to keep it. A leader that dies loses it after `ttlMs`, and another takes over.
 */
export class LeaderLock {
  private readonly redis: Redis | Cluster;
  private readonly key: string;
  private readonly ttlMs: number;
  private readonly token = randomUUID();
  private held = false;
  private took = false;

  constructor(redis: Redis | Cluster, key: string, ttlMs = 10_000) {
    this.redis = redis;
    this.key = key;
    this.ttlMs = ttlMs;
  }

  get isLeader(): boolean {
    return this.held;
  }

  /**
   * Whether the last `refresh()` had to take the lease anew (first time, or after it lapsed): what
   * the leader did before may be gone, so it should check everything again.
   */
  get tookLease(): boolean {
    return this.took;
  }

  /** Takes or keeps the lease; returns whether this process leads now. Never throws. */
  async refresh(): Promise<boolean> {
    this.took = false;
    try {
      if (this.held) {
        this.held = (await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
      }
      if (!this.held) {
        this.held = (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
        this.took = this.held;
      }
    } catch {
      this.held = false;
    }
    return this.held;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.redis.eval(RELEASE, 1, this.key, this.token).catch(() => {});
  }
}
