import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { BUCKET_COUNTERS, epochHour, epochMinute, HOUR_RING, MINUTE_RING, RING_HEADER_BYTES } from './bucket-math.ts';
import { rttBin } from './rtt-bins.ts';
import { SLO_BUCKET_COUNTERS, SLO_COUNTER_BITS } from './slo-ring.ts';

/** Records kept per (target, region) when the caller gives no `historyLength`. */
export const DEFAULT_HISTORY_LENGTH = 50;
/** Lifetime of an idempotency key when the caller gives no `idTtlS`: 7 days. */
export const DEFAULT_ID_TTL_S = 7 * 24 * 3600;
/** How far past `nowMs` an attempt may start and still be counted (runner clocks drift). */
export const MAX_FUTURE_MS = 60_000;

/** Probe kinds a series can have; the aggregate keys and series members carry it. */
export type SeriesKind = 'syn' | 'connect';

/** One aggregate series: what was probed, from where, and how. */
export type Series = { target: string; region: string; kind: SeriesKind };

/** One attempt to ingest. Times are epoch milliseconds. */
export type IngestInput = Series & {
  /** The attempt record's unique `id`: a second ingest of the same id changes nothing. */
  id: string;
  /** The attempt's own start (`startedAt`): it picks the buckets, so late arrivals land right. */
  startedAtMs: number;
  /** Whether the handshake would have succeeded (`isAnswered(outcome)`). */
  success: boolean;
  /** Round-trip time in microseconds, or `null`; binned only for successes. */
  rttUs: number | null;
  /** The record's outcome, kept as the latest state of (target, region). */
  outcome: string;
  /** The record as JSON, pushed onto the (target, region) history. */
  recordJson: string;
  /** Records kept in the history list (>= 1). Default `DEFAULT_HISTORY_LENGTH` (50). */
  historyLength?: number;
  /**
   * Whether the attempt counts in the aggregates and the series list (default true). False for
   * what is not a measurement of the target: on-demand probes, attempts the runner refused.
   */
  countable?: boolean;
  /** Seconds the id is remembered for de-duplication (>= 1). Default `DEFAULT_ID_TTL_S` (7 days). */
  idTtlS?: number;
  /**
   * The target's SLO, when it has one: the threshold picks the SLO rings (a changed threshold
   * starts new ones), and the state says how the attempt counts there. Only counted attempts.
   */
  slo?: { thresholdMs: number; state: SloState };
};

/** How an attempt counts in its target's SLO: within the threshold, not, or left out. */
export type SloState = 'good' | 'bad' | 'excluded';

/**
 * - `new`: counted, and written to history and latest state.
 * - `duplicate`: the id was ingested within `idTtlS`; nothing written.
 * - `future`: `startedAtMs` is more than `MAX_FUTURE_MS` after `nowMs`; nothing written.
 */
export type IngestResult = 'new' | 'duplicate' | 'future';

/** Redis keys of the store. Every key starts with `${prefix}:`, so a `{tag}` prefix keeps them in one slot. */
export const storeKeys = {
  /** String: ring of one-minute buckets of a series (bucket-math.ts). */
  minuteRing: (prefix: string, s: Series) => `${prefix}:m:${s.target}:${s.region}:${s.kind}`,
  /** String: ring of one-hour buckets of a series. */
  hourRing: (prefix: string, s: Series) => `${prefix}:h:${s.target}:${s.region}:${s.kind}`,
  /** String with a TTL: present while an attempt id counts as ingested. */
  attemptId: (prefix: string, id: string) => `${prefix}:id:${id}`,
  /** List: record JSON of a (target, region), newest ingested first. */
  history: (prefix: string, target: string, region: string) => `${prefix}:l:${target}:${region}`,
  /** Hash: field = region, value = `${atMs}:${kind}:${outcome}` of the newest attempt. */
  latest: (prefix: string, target: string) => `${prefix}:s:${target}`,
  /** String: ring of one-minute SLO buckets of a (target, region) at an SLO threshold (slo-ring.ts). */
  sloMinuteRing: (prefix: string, target: string, region: string, thresholdMs: number) =>
    `${prefix}:slo:m:${target}:${region}:${thresholdMs}`,
  /** String: ring of one-hour SLO buckets. */
  sloHourRing: (prefix: string, target: string, region: string, thresholdMs: number) =>
    `${prefix}:slo:h:${target}:${region}:${thresholdMs}`,
  /** Set of `seriesMember()` strings, one per series ever ingested. */
  series: (prefix: string) => `${prefix}:series`,
};

/** The member of the series set for a series; names never contain `:`, so it splits back. */
export function seriesMember(s: Series): string {
  return `${s.target}:${s.region}:${s.kind}`;
}

const NAME = /^[a-z0-9-]+$/;
const COMMAND = 'synackIngestAttempt';
const KEY_COUNT = 8;

/**
 * One attempt, applied atomically: a crash never leaves the id marked without the counts, or the
 * reverse. Ring layout: bucket-math.ts. Buckets are addressed in u16 slots (`#n` = bit n * 16);
 * the u32 header is slots 0 and 1.
 *
 * KEYS: 1 attempt id, 2 minute ring, 3 hour ring, 4 history, 5 latest, 6 series set, 7 SLO minute
 * ring, 8 SLO hour ring.
 * ARGV: 1 startedAtMs, 2 nowMs, 3 epoch minute, 4 epoch hour, 5 success (0/1), 6 RTT bin (-1 for
 * none), 7 outcome, 8 record JSON, 9 history length, 10 id TTL s, 11 region, 12 series member,
 * 13 kind, 14 max future ms, 15 header bytes, 16 counters per bucket, 17 minute ring size,
 * 18 hour ring size, 19 1 when counted in the aggregates (else history only), 20 SLO state (`good`,
 * `bad`, `excluded`, or empty for none), 21 counters per SLO bucket, 22 bits per SLO counter.
 */
export const INGEST_LUA = `
local startedAt = tonumber(ARGV[1])
if startedAt - tonumber(ARGV[2]) > tonumber(ARGV[14]) then return 'future' end
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[10]) then return 'duplicate' end

local headerBytes = tonumber(ARGV[15])
local success = ARGV[5] == '1'
local bin = tonumber(ARGV[6])

-- Adds 1 to the counters at offsets (0-based, within the bucket) of the bucket for unit; each
-- counter is an unsigned integer of bits (16 or 32) bits.
local function bump(key, size, unit, counters, offsets, bits)
  local bucketBytes = counters * bits / 8
  local length = headerBytes + size * bucketBytes
  local head = 0
  if redis.call('STRLEN', key) ~= length then
    -- Missing, or another format: start from zeros. One SETRANGE sizes the string exactly;
    -- growing it bit by bit would let Redis over-allocate (sdsMakeRoomFor doubles).
    redis.call('DEL', key)
    redis.call('SETRANGE', key, length - 1, '\\0')
  else
    head = redis.call('BITFIELD', key, 'GET', 'u32', 0)[1]
  end
  if unit > head then
    -- Time moved on: the buckets for head+1 .. unit hold counts from one lap ago.
    local gap = unit - head
    if head > 0 and gap >= size then
      redis.call('SETRANGE', key, headerBytes, string.rep('\\0', size * bucketBytes))
    elseif head > 0 then
      local first = (head + 1) % size
      local run = math.min(gap, size - first)
      redis.call('SETRANGE', key, headerBytes + first * bucketBytes, string.rep('\\0', run * bucketBytes))
      if gap > run then
        redis.call('SETRANGE', key, headerBytes, string.rep('\\0', (gap - run) * bucketBytes))
      end
    end
    head = unit
  elseif unit <= head - size then
    return
  end
  local slot = headerBytes * 8 / bits + (unit % size) * counters
  local ops = { 'SET', 'u32', 0, head, 'OVERFLOW', 'SAT' }
  for _, offset in ipairs(offsets) do
    table.insert(ops, 'INCRBY'); table.insert(ops, 'u' .. bits); table.insert(ops, '#' .. (slot + offset)); table.insert(ops, 1)
  end
  redis.call('BITFIELD', key, unpack(ops))
end

local counted = ARGV[19] == '1'
if counted then
  local counters = tonumber(ARGV[16])
  local offsets = { 0 }
  if success then
    table.insert(offsets, 1)
    if bin >= 0 then table.insert(offsets, 2 + bin) end
  end
  bump(KEYS[2], tonumber(ARGV[17]), tonumber(ARGV[3]), counters, offsets, 16)
  bump(KEYS[3], tonumber(ARGV[18]), tonumber(ARGV[4]), counters, offsets, 16)
  -- The SLO rings at the target's threshold: counted, good (within it); excluded ones apart.
  local slo = ARGV[20]
  if slo ~= '' then
    local sloOffsets = { 0 }
    if slo == 'good' then sloOffsets = { 0, 1 } elseif slo == 'excluded' then sloOffsets = { 2 } end
    local sloCounters = tonumber(ARGV[21])
    bump(KEYS[7], tonumber(ARGV[17]), tonumber(ARGV[3]), sloCounters, sloOffsets, tonumber(ARGV[22]))
    bump(KEYS[8], tonumber(ARGV[18]), tonumber(ARGV[4]), sloCounters, sloOffsets, tonumber(ARGV[22]))
  end
end

redis.call('LPUSH', KEYS[4], ARGV[8])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[9]) - 1)
-- History of names only probed on demand expires; a configured target's stays.
if counted then redis.call('PERSIST', KEYS[4]) elseif redis.call('TTL', KEYS[4]) < 0 then redis.call('EXPIRE', KEYS[4], 86400) end

-- A late arrival must not replace a newer current status.
local previous = redis.call('HGET', KEYS[5], ARGV[11])
if not previous or tonumber(string.match(previous, '^%d+')) <= startedAt then
  redis.call('HSET', KEYS[5], ARGV[11], ARGV[1] .. ':' .. ARGV[13] .. ':' .. ARGV[7])
end
if counted then redis.call('SADD', KEYS[6], ARGV[12]) end
return 'new'
`;

type IngestCommand = { [COMMAND]: (...args: (string | number)[]) => unknown };

function hasIngestCommand(client: object): client is IngestCommand {
  return typeof (client as Partial<IngestCommand>)[COMMAND] === 'function';
}

/**
 * Registers the ingest script on a client (idempotent). Pipelines and MULTIs copy the scripts of
 * their client when created, so call this before `redis.pipeline()` when using
 * `queueIngestAttempt`; `ingestAttempt` and `ingestBatch` call it themselves.
 */
export function defineIngestCommand(redis: Redis | Cluster): void {
  if (!hasIngestCommand(redis)) redis.defineCommand(COMMAND, { lua: INGEST_LUA, numberOfKeys: KEY_COUNT });
}

/**
 * The script's keys and arguments for one attempt. Throws `TypeError` for a name outside
 * `[a-z0-9-]+`, an unknown kind or an empty id, and `RangeError` for bad numbers.
 */
export function ingestCommandArgs(prefix: string, input: IngestInput, nowMs: number): (string | number)[] {
  const { id, target, region, kind } = input;
  if (!NAME.test(target)) throw new TypeError(`target must match ${NAME}, got ${JSON.stringify(target)}`);
  if (!NAME.test(region)) throw new TypeError(`region must match ${NAME}, got ${JSON.stringify(region)}`);
  if (kind !== 'syn' && kind !== 'connect') throw new TypeError(`kind must be syn or connect, got ${String(kind)}`);
  if (id.length === 0) throw new TypeError('id must not be empty');
  const historyLength = input.historyLength ?? DEFAULT_HISTORY_LENGTH;
  const idTtlS = input.idTtlS ?? DEFAULT_ID_TTL_S;
  positiveInteger('historyLength', historyLength);
  positiveInteger('idTtlS', idTtlS);
  positiveInteger('startedAtMs', input.startedAtMs);
  positiveInteger('nowMs', nowMs);
  const bin = input.success && input.rttUs !== null ? rttBin(input.rttUs) : -1;
  const thresholdMs = input.slo?.thresholdMs ?? 0;
  if (input.slo) positiveInteger('slo.thresholdMs', thresholdMs);
  return [
    storeKeys.attemptId(prefix, id),
    storeKeys.minuteRing(prefix, input),
    storeKeys.hourRing(prefix, input),
    storeKeys.history(prefix, target, region),
    storeKeys.latest(prefix, target),
    storeKeys.series(prefix),
    storeKeys.sloMinuteRing(prefix, target, region, thresholdMs),
    storeKeys.sloHourRing(prefix, target, region, thresholdMs),
    input.startedAtMs,
    nowMs,
    epochMinute(input.startedAtMs),
    epochHour(input.startedAtMs),
    input.success ? 1 : 0,
    bin,
    input.outcome,
    input.recordJson,
    historyLength,
    idTtlS,
    region,
    seriesMember(input),
    kind,
    MAX_FUTURE_MS,
    RING_HEADER_BYTES,
    BUCKET_COUNTERS,
    MINUTE_RING.size,
    HOUR_RING.size,
    input.countable === false ? 0 : 1,
    input.slo?.state ?? '',
    SLO_BUCKET_COUNTERS,
    SLO_COUNTER_BITS,
  ];
}

/** Checks one script reply; throws `TypeError` for anything but the three results. */
export function parseIngestReply(reply: unknown): IngestResult {
  if (reply === 'new' || reply === 'duplicate' || reply === 'future') return reply;
  throw new TypeError(`unexpected ingest script reply: ${JSON.stringify(reply)}`);
}

/**
 * Ingests one attempt: de-duplicates by id, counts it in the minute and hour buckets of its own
 * start time, pushes it onto the history and updates the latest state, all in one script run.
 * `nowMs` is the collector's clock, used only to refuse attempts from the future.
 */
export async function ingestAttempt(
  redis: Redis | Cluster,
  prefix: string,
  input: IngestInput,
  nowMs: number,
): Promise<IngestResult> {
  defineIngestCommand(redis);
  const args = ingestCommandArgs(prefix, input, nowMs);
  if (!hasIngestCommand(redis)) throw new TypeError('ingest command is not defined');
  return parseIngestReply(await redis[COMMAND](...args));
}

/**
 * Adds one attempt to a pipeline or MULTI created after `defineIngestCommand(redis)`; its entry in
 * `exec()`'s replies goes through `parseIngestReply`.
 */
export function queueIngestAttempt(
  pipeline: ChainableCommander,
  prefix: string,
  input: IngestInput,
  nowMs: number,
): ChainableCommander {
  if (!hasIngestCommand(pipeline)) {
    throw new TypeError('call defineIngestCommand(redis) before creating the pipeline');
  }
  pipeline[COMMAND](...ingestCommandArgs(prefix, input, nowMs));
  return pipeline;
}

/**
 * Ingests many attempts in one pipeline (one round trip; each attempt is still its own atomic
 * script run). Replies are in input order. A Redis error rejects with the first error, after the
 * whole pipeline ran: the attempts before and after it may have been applied, and retrying the
 * batch is safe because ids are de-duplicated.
 */
export async function ingestBatch(
  redis: Redis | Cluster,
  prefix: string,
  inputs: readonly IngestInput[],
  nowMs: number,
): Promise<IngestResult[]> {
  if (inputs.length === 0) return [];
  defineIngestCommand(redis);
  const pipeline = redis.pipeline();
  for (const input of inputs) queueIngestAttempt(pipeline, prefix, input, nowMs);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return parseIngestReply(reply);
  });
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
}
