import type { RateLimit } from '@synack/shared/config/synack-config';
import type { Cluster, Redis } from 'ioredis';

/** One limit to pass: its key (e.g. `user:slack:T1:U1`) and its rate. */
export type RateCheck = { key: string; limit: RateLimit };

/** Passed every limit (and counted against each), or refused by the first one full. */
export type RateDecision = { ok: true } | { ok: false; key: string; retryAfterMs: number };

// GCRA (generic cell rate algorithm) over several keys at once: each key holds its theoretical
// arrival time; a request passes when, for every key, it would not run ahead of that time by more
// than the burst. All keys are checked before any is written, so a request refused by one limit
// costs nothing against the others.
const GCRA_LUA = `
local now = tonumber(ARGV[1])
local next = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i * 2])
  local window = tonumber(ARGV[i * 2 + 1])
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then tat = now end
  local after = tat + interval
  if after - now > window then
    return {i, math.ceil(after - window - now)}
  end
  next[i] = after
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tostring(next[i]), 'PX', math.ceil(next[i] - now) + 1000)
end
return {0, 0}
`;

/**
 * Rate limits shared by every collector (the state is in Redis): `count` requests per `perMs`,
 * with bursts up to `count`. Used for on-demand probes, per user, channel and target.
 */
export class RateGate {
  private readonly redis: Redis | Cluster;
  private readonly prefix: () => string;

  constructor(redis: Redis | Cluster, prefix: () => string) {
    this.redis = redis;
    this.prefix = prefix;
    this.redis.defineCommand('synackGcra', { lua: GCRA_LUA });
  }

  /** Takes one request from every limit, or none when one of them is full. */
  async take(checks: readonly RateCheck[], nowMs: number): Promise<RateDecision> {
    if (checks.length === 0) return { ok: true };
    const keys = checks.map((check) => `${this.prefix()}:rate:${check.key}`);
    const args = checks.flatMap((check) => [check.limit.perMs / check.limit.count, check.limit.perMs]);
    const run = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<[number, number]>>).synackGcra;
    const [index, retryAfterMs] = (await run?.call(this.redis, keys.length, ...keys, nowMs, ...args)) ?? [0, 0];
    if (index === 0) return { ok: true };
    return { ok: false, key: checks[index - 1]?.key ?? '', retryAfterMs: Math.max(1, retryAfterMs) };
  }
}
