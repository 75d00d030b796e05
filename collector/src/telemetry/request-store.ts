import type { Cluster, Redis } from 'ioredis';

/** One attempt of an on-demand request, as its parent spans count it. */
export type RequestPart = { group: string; region: string; startMs: number; endMs: number; failed: boolean };

/** What a request (group `''`) or one of its source-port spreads saw, over every collector. */
export type RequestTotals = { attempts: number; failed: number; startMs: number; endMs: number; regions: string[] };

/**
 * Where the attempts of on-demand requests are added up, so that the one collector that sends a
 * request's parent span (or a spread's) describes all of it, whichever collector ingested each part.
 */
export type RequestStore = {
  add(requestId: string, parts: readonly RequestPart[]): Promise<void>;
  read(requestId: string, group: string): Promise<RequestTotals | null>;
};

/** In one collector's memory: right when it is the only one. Entries go when read for the root. */
export class MemoryRequestStore implements RequestStore {
  private readonly totals = new Map<string, RequestTotals>();

  async add(requestId: string, parts: readonly RequestPart[]): Promise<void> {
    for (const part of parts) {
      for (const group of new Set(['', part.group])) {
        const key = `${requestId}\0${group}`;
        const t = this.totals.get(key) ?? { attempts: 0, failed: 0, startMs: Infinity, endMs: 0, regions: [] };
        t.attempts++;
        if (part.failed) t.failed++;
        t.startMs = Math.min(t.startMs, part.startMs);
        t.endMs = Math.max(t.endMs, part.endMs);
        if (!t.regions.includes(part.region)) t.regions.push(part.region);
        this.totals.set(key, t);
      }
    }
  }

  async read(requestId: string, group: string): Promise<RequestTotals | null> {
    const key = `${requestId}\0${group}`;
    const t = this.totals.get(key) ?? null;
    this.totals.delete(key);
    return t ? { ...t, regions: [...t.regions].sort() } : null;
  }
}

// Adds one part to the hash of its request, for the request (group '') and its group: counts,
// earliest start, latest end, regions. KEYS[1] the hash; ARGV: ttl s, group, region, start, end, failed.
const ADD_LUA = `
for _, g in ipairs({ '', ARGV[2] }) do
  if g ~= '' or _ == 1 then
    redis.call('HINCRBY', KEYS[1], g .. '|n', 1)
    if ARGV[6] == '1' then redis.call('HINCRBY', KEYS[1], g .. '|f', 1) end
    local s = redis.call('HGET', KEYS[1], g .. '|s')
    if not s or tonumber(ARGV[4]) < tonumber(s) then redis.call('HSET', KEYS[1], g .. '|s', ARGV[4]) end
    local e = redis.call('HGET', KEYS[1], g .. '|e')
    if not e or tonumber(ARGV[5]) > tonumber(e) then redis.call('HSET', KEYS[1], g .. '|e', ARGV[5]) end
    redis.call('HSET', KEYS[1], g .. '|r|' .. ARGV[3], '1')
  end
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
`;

/** In Redis, shared by every collector; each request's hash expires after an hour. */
export class RedisRequestStore implements RequestStore {
  private readonly redis: Redis | Cluster;
  private readonly prefix: () => string;

  constructor(redis: Redis | Cluster, prefix: () => string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  private key(requestId: string): string {
    return `${this.prefix()}:span-req:${requestId}`;
  }

  async add(requestId: string, parts: readonly RequestPart[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const p of parts) {
      pipeline.eval(ADD_LUA, 1, this.key(requestId), 3600, p.group, p.region, p.startMs, p.endMs, p.failed ? 1 : 0);
    }
    await pipeline.exec();
  }

  async read(requestId: string, group: string): Promise<RequestTotals | null> {
    const all = await this.redis.hgetall(this.key(requestId));
    const n = Number(all[`${group}|n`] ?? 0);
    if (n === 0) return null;
    const regionPrefix = `${group}|r|`;
    return {
      attempts: n,
      failed: Number(all[`${group}|f`] ?? 0),
      startMs: Number(all[`${group}|s`]),
      endMs: Number(all[`${group}|e`]),
      regions: Object.keys(all)
        .filter((k) => k.startsWith(regionPrefix))
        .map((k) => k.slice(regionPrefix.length))
        .sort(),
    };
  }
}
