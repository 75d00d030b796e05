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
    }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      /** The master's name, as the Sentinels know it. */
      name: string;
      username?: string;
      password?: string;
      db?: number;
    };

/**
 * Parses `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), `unix:///path/redis.sock`,
 * `redis-cluster://host:port,host:port` (seed nodes of a Redis Cluster) and
 * `redis-sentinel://[user:pass@]host:port,host:port/mastername[/db]` (Sentinels, and the name of
 * the master they watch; the password is the master's). Pure; throws `TypeError` for anything
 * else (the config schema has already refused those).
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith('unix://')) return { kind: 'single', path: decodeURIComponent(url.slice('unix://'.length)) };
  const sentinel = /^redis-sentinel:\/\/(?:([^@]*)@)?([^/]+)\/([^/]+)(?:\/(\d+))?$/.exec(url);
  if (sentinel) {
    return {
      kind: 'sentinel',
      sentinels: nodeList(sentinel[2] ?? ''),
      name: decodeURIComponent(sentinel[3] ?? ''),
      ...credentials(sentinel[1]),
      ...(sentinel[4] ? { db: Number(sentinel[4]) } : {}),
    };
  }
  const cluster = /^redis-cluster(s?):\/\/(?:([^@]*)@)?(.+)$/.exec(url);
  if (cluster) {
    return {
      kind: 'cluster',
      nodes: nodeList(cluster[3] ?? ''),
      ...credentials(cluster[2]),
      ...(cluster[1] ? { tls: {} } : {}),
    };
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

function nodeList(text: string): { host: string; port: number }[] {
  return text.split(',').map((node) => {
    const parsed = new URL(`redis://${node}`);
    return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) };
  });
}

function credentials(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  // Only the first ':' separates them: a password may contain more.
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const pass = colon < 0 ? undefined : userinfo.slice(colon + 1);
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
