import type { RateLimit } from '@synack/shared/config/synack-config';
import type { Cluster, Redis } from 'ioredis';

/** One limit to pass: its key (e.g. `user:slack:T1:U1`), its rate, and what this request costs (default 1). */
export type RateCheck = { key: string; limit: RateLimit; cost?: number };

/** Passed every limit (and counted against each), or refused by the first one full. */
export type RateDecision = { ok: true } | { ok: false; key: string; retryAfterMs: number };

// GCRA (generic cell rate algorithm) over several keys at once: each key holds its theoretical
// arrival time; a request passes when, for every key, it would not run ahead of that time by more
// than the window. All keys are checked before any is written, so a request refused by one limit
// costs nothing against the others. The time is Redis's own unless one is given (tests), so that
// collectors with skewed clocks share one notion of "now".
const GCRA_LUA = `
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local next = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i * 3 - 1])
  local window = tonumber(ARGV[i * 3])
  local cost = tonumber(ARGV[i * 3 + 1])
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then tat = now end
  local after = tat + interval * cost
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

type GcraCommand = (keyCount: number, ...args: (string | number)[]) => Promise<[number, number]>;

/**
 * Rate limits shared by every collector (the state is in Redis): `count` requests per `perMs`,
 * with bursts up to `count`; a request may cost more than one (a probe of several addresses).
 * Used for on-demand probes, per user, channel and target.
 */
export class RateGate {
  private readonly redis: Redis | Cluster;
  private readonly prefix: () => string;

  constructor(redis: Redis | Cluster, prefix: () => string) {
    this.redis = redis;
    this.prefix = prefix;
    this.redis.defineCommand('synackGcra', { lua: GCRA_LUA });
  }

  /** Takes from every limit, or from none when one of them is full. `nowMs`: Redis's clock when absent. */
  async take(checks: readonly RateCheck[], nowMs?: number): Promise<RateDecision> {
    if (checks.length === 0) return { ok: true };
    const keys = checks.map((check) => `${this.prefix()}:rate:${check.key}`);
    const args = checks.flatMap((check) => [check.limit.perMs / check.limit.count, check.limit.perMs, check.cost ?? 1]);
    const run = (this.redis as unknown as { synackGcra?: GcraCommand }).synackGcra;
    // Never "allowed" by default: a gate that cannot run refuses by throwing.
    if (!run) throw new TypeError('the rate-limit script is not defined on this Redis client');
    const [index, retryAfterMs] = await run.call(this.redis, keys.length, ...keys, nowMs ?? '', ...args);
    if (index === 0) return { ok: true };
    return { ok: false, key: checks[index - 1]?.key ?? '', retryAfterMs: Math.max(1, retryAfterMs) };
  }
}
