/** Connection settings for ioredis, from a config `redisUrl`. */
export type RedisTarget =
  | {
      kind: 'single';
      host?: string;
      port?: number;
      path?: string;
      username?: string;
      password?: string;
      db?: number;
      tls?: Record<string, never>;
    }
  | {
      kind: 'cluster';
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      tls?: Record<string, never>;
    };

/**
 * Parses `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), `unix:///path/redis.sock`
 * and `redis-cluster://host:port,host:port` (seed nodes of a Redis Cluster). Pure; throws
 * `TypeError` for anything else (the config schema has already refused those).
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith('unix://')) return { kind: 'single', path: decodeURIComponent(url.slice('unix://'.length)) };
  const cluster = /^redis-cluster(s?):\/\/(?:([^@]*)@)?(.+)$/.exec(url);
  if (cluster) {
    const nodes = (cluster[3] ?? '').split(',').map((node) => {
      const parsed = new URL(`redis://${node}`);
      return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) };
    });
    return { kind: 'cluster', nodes, ...credentials(cluster[2]), ...(cluster[1] ? { tls: {} } : {}) };
  }
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new TypeError(`not a Redis URL: ${redactRedisUrl(url)}`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    kind: 'single',
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

function credentials(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  const [user, pass] = userinfo.split(':');
  return {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass ? { password: decodeURIComponent(pass) } : {}),
  };
}

/** The URL with any password replaced by `***`: what logs and errors may show. */
export function redactRedisUrl(url: string): string {
  return url.replace(
    /^([a-z+-]+:\/\/)([^@/]*:)?[^@/]*@/,
    (_m, scheme: string, user: string | undefined) => `${scheme}${user ?? ''}***@`,
  );
}
