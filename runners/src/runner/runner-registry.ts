import { type RunnerHeartbeat, runnersKey } from '@synack/shared/wire/runner-heartbeat';
import type { Cluster, Redis } from 'ioredis';

/**
 * Where runners announce themselves: a hash of heartbeats and a sorted set of last-seen times,
 * under the configured prefix, so collectors and on-demand callers know who is alive per region.
 */
export class RunnerRegistry {
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;

  constructor(redis: Redis | Cluster, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  async beat(heartbeat: RunnerHeartbeat): Promise<void> {
    await this.redis
      .multi()
      .hset(runnersKey(this.prefix), heartbeat.id, JSON.stringify(heartbeat))
      .zadd(`${this.prefix}:runners-seen`, heartbeat.seenAtMs, heartbeat.id)
      .exec();
  }

  async leave(id: string): Promise<void> {
    await this.redis.multi().hdel(runnersKey(this.prefix), id).zrem(`${this.prefix}:runners-seen`, id).exec();
  }
}
