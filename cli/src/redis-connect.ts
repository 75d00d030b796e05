import { parseRedisUrl } from '@synack/shared/redis-options';
import { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/**
 * A Redis (or Redis Cluster, or Sentinel-watched) client for a config `redisUrl`. `blocking` clients are for BullMQ
 * workers and queues (`maxRetriesPerRequest: null`, as BullMQ requires); the others fail a
 * command after a few retries instead of waiting forever. Both reconnect by themselves, with a
 * capped backoff, so a Redis restart needs nothing from the process.
 */
export function connectRedis(url: string, name: string, blocking: boolean): RedisClient {
  const target = parseRedisUrl(url);
  const common = {
    connectionName: name,
    maxRetriesPerRequest: blocking ? null : 3,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  };
  if (target.kind === 'sentinel') {
    const { sentinels, name: master, kind: _kind, ...auth } = target;
    return new Redis({ ...common, ...auth, sentinels, name: master, sentinelRetryStrategy: common.retryStrategy });
  }
  if (target.kind === 'cluster') {
    const { nodes, kind: _kind, ...auth } = target;
    return new Cluster(nodes, {
      clusterRetryStrategy: common.retryStrategy,
      redisOptions: { ...common, ...auth, ...(auth.tls ? { tls: {} } : {}) },
    });
  }
  const { kind: _kind, ...options } = target;
  return new Redis({ ...common, ...options });
}
