import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Bucket,
  emptyRing,
  encodeRing,
  epochHour,
  epochMinute,
  HOUR_RING,
  MINUTE_MS,
  MINUTE_RING,
  type Ring,
  type RingSpec,
  ringByteLength,
  ringIndex,
} from '@synack/collector/store/bucket-math';
import {
  type IngestInput,
  ingestBatch,
  type Series,
  seriesMember,
  storeKeys,
} from '@synack/collector/store/ingest-script';
import { readWindow } from '@synack/collector/store/read-aggregates';
import { RTT_BIN_COUNT } from '@synack/collector/store/rtt-bins';
import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import type { Redis } from 'ioredis';
import { connectLocalRedis, redisInfo } from './local-redis.ts';

// Memory of 30 days of aggregates for 10,000 targets × 3 regions × 2 kinds, and the ingest
// script's throughput, against the redis-server bench/aggregate-memory started. Rings are
// written whole with SET from encodeRing (what the unit and integration tests check against the
// Lua script), then a few thousand real attempts go through the script to show it reads and
// updates those very strings. Prints one JSON object and writes it to --out.
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    out: { type: 'string' },
    targets: { type: 'string', default: '10000' },
    'live-attempts': { type: 'string', default: '3000' },
    'ingest-attempts': { type: 'string', default: '50000' },
    'ingest-series': { type: 'string', default: '1000' },
    batch: { type: 'string', default: '100' },
    'attempts-per-series-per-minute': { type: 'string', default: '1' },
  },
});
if (!values.port || !values.out) throw new TypeError('usage: aggregate-memory.ts --port PORT --out FILE');
const targets = Number(values.targets);
const regions = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const kinds = ['syn', 'connect'] as const;
const liveAttempts = Number(values['live-attempts']);
const ingestAttempts = Number(values['ingest-attempts']);
const ingestSeries = Number(values['ingest-series']);
const batchSize = Number(values.batch);
const perSeriesPerMinute = Number(values['attempts-per-series-per-minute']);
const AIM_BYTES = 1_000_000_000;
const PREFIX = 'synack';

const nowMs = Date.now();
const redis = await connectLocalRedis(Number(values.port));
await redis.flushall();
const redisVersion = (await redisInfo(redis, 'server')).redis_version;
const baseline = await redisInfo(redis, 'memory');

// A handful of distinct full rings (every bucket written, head at now), shared by all series:
// ring contents do not change their size, and 55 million bucket objects would only slow this down.
const templates = Array.from({ length: 8 }, (_, n) => ({
  minute: encodeRing(fullRing(MINUTE_RING, epochMinute(nowMs), 6, n)),
  hour: encodeRing(fullRing(HOUR_RING, epochHour(nowMs), 360, n)),
}));
const allSeries: Series[] = [];
for (let t = 0; t < targets; t++) {
  for (const region of regions) for (const kind of kinds) allSeries.push({ target: targetName(t), region, kind });
}

const fillStart = performance.now();
for (let at = 0; at < allSeries.length; at += 500) {
  const pipeline = redis.pipeline();
  const chunk = allSeries.slice(at, at + 500);
  chunk.forEach((series, n) => {
    const template = templates[(at + n) % templates.length] ?? templates[0];
    if (!template) throw new TypeError('no ring templates');
    pipeline.set(storeKeys.minuteRing(PREFIX, series), template.minute);
    pipeline.set(storeKeys.hourRing(PREFIX, series), template.hour);
    pipeline.hset(storeKeys.latest(PREFIX, series.target), series.region, `${nowMs}:${series.kind}:synack`);
  });
  pipeline.sadd(storeKeys.series(PREFIX), ...chunk.map(seriesMember));
  await exec(pipeline);
}
const fillSeconds = (performance.now() - fillStart) / 1000;
const filled = await redisInfo(redis, 'memory');
const keys = await redis.dbsize();
const usedMemory = Number(filled.used_memory);
const firstSeries = allSeries[0] ?? { target: targetName(0), region: 'eu-west-1', kind: 'syn' };
const setWritten = {
  minute: await redis.memory('USAGE', storeKeys.minuteRing(PREFIX, firstSeries)),
  hour: await redis.memory('USAGE', storeKeys.hourRing(PREFIX, firstSeries)),
};

// Live format: real attempts through the script into the SET-written rings must add exactly their
// own count to the window, and leave the strings the same size.
const liveSeries = allSeries.slice(-Math.min(1000, allSeries.length));
const windowOf = (series: Series) => readWindow(redis, PREFIX, series, nowMs - 10 * MINUTE_MS, nowMs + 1, nowMs);
const before = await Promise.all(liveSeries.map(windowOf));
const perSeries = new Map<string, number>();
const live = Array.from({ length: liveAttempts }, (_, n) => {
  const series = liveSeries[n % liveSeries.length] ?? firstSeries;
  perSeries.set(seriesMember(series), (perSeries.get(seriesMember(series)) ?? 0) + 1);
  return input(series, nowMs - (n % 300) * 1_000, n);
});
for (let at = 0; at < live.length; at += batchSize)
  await ingestBatch(redis, PREFIX, live.slice(at, at + batchSize), nowMs);
const after = await Promise.all(liveSeries.map(windowOf));
const mismatches = liveSeries.filter(
  (series, n) => (after[n]?.attempts ?? 0) - (before[n]?.attempts ?? 0) !== (perSeries.get(seriesMember(series)) ?? 0),
);
const luaTouched = liveSeries[0] ?? firstSeries;
const luaWritten = {
  minute: await redis.memory('USAGE', storeKeys.minuteRing(PREFIX, luaTouched)),
  hour: await redis.memory('USAGE', storeKeys.hourRing(PREFIX, luaTouched)),
};
if (mismatches.length > 0 || luaWritten.minute !== setWritten.minute || luaWritten.hour !== setWritten.hour) {
  throw new Error(`live format check failed: ${mismatches.length} series off, sizes ${JSON.stringify(luaWritten)}`);
}

// What history and idempotency keys cost per item, to size them (they are not aggregates).
const historyKey = storeKeys.history(PREFIX, 'history-probe', 'eu-west-1');
const fullHistory = Array.from({ length: 50 }, (_, n) =>
  input({ target: 'history-probe', region: 'eu-west-1', kind: 'syn' }, nowMs - n * 1_000, n),
);
await ingestBatch(redis, PREFIX, fullHistory, nowMs);
const historyBytesPerRecord = Math.round(Number(await redis.memory('USAGE', historyKey)) / 50);
const recordJsonBytes = Buffer.byteLength(fullHistory[0]?.recordJson ?? '');
// Id keys go to their own database, so its tables grow from empty: 100,000 keys sit between two
// table doublings (65,536 and 131,072), and the figure includes the amortized table slots.
const idDb = await connectLocalRedis(Number(values.port), 1);
const idsBefore = Number((await redisInfo(redis, 'memory')).used_memory);
for (let at = 0; at < 100_000; at += 10_000) {
  const idPipeline = idDb.pipeline();
  for (let n = 0; n < 10_000; n++) idPipeline.set(storeKeys.attemptId(PREFIX, randomUUID()), '1', 'EX', 604_800, 'NX');
  await exec(idPipeline);
}
const idKeyBytes = Math.round((Number((await redisInfo(redis, 'memory')).used_memory) - idsBefore) / 100_000);
await idDb.flushdb();
await idDb.quit();

// Throughput of the script alone: one client, pipelined batches, inputs built beforehand.
const throughputSeries = Array.from(
  { length: ingestSeries },
  (_, n): Series => ({ target: `tp-${n}`, region: 'eu-west-1', kind: n % 2 ? 'connect' : 'syn' }),
);
const inputs = Array.from({ length: ingestAttempts }, (_, n) =>
  input(throughputSeries[n % ingestSeries] ?? firstSeries, nowMs - (n % 600) * 1_000, n),
);
const cpuBefore = await redisInfo(redis, 'cpu');
const clientCpuBefore = process.cpuUsage();
const ingestStart = performance.now();
let fresh = 0;
for (let at = 0; at < inputs.length; at += batchSize) {
  const results = await ingestBatch(redis, 'tp', inputs.slice(at, at + batchSize), nowMs);
  fresh += results.filter((result) => result === 'new').length;
}
const ingestSeconds = (performance.now() - ingestStart) / 1000;
const clientCpu = process.cpuUsage(clientCpuBefore);
const cpuAfter = await redisInfo(redis, 'cpu');
const redisCpuSeconds = cpuSeconds(cpuAfter) - cpuSeconds(cpuBefore);
if (fresh !== ingestAttempts) throw new Error(`expected ${ingestAttempts} new attempts, got ${fresh}`);

const seriesCount = allSeries.length;
const idKeysAt7d = Math.round(seriesCount * perSeriesPerMinute * 7 * 24 * 60);
const result = {
  bench: 'aggregate-memory',
  at: new Date(nowMs).toISOString(),
  redisVersion,
  targets,
  regions: regions.length,
  kinds: kinds.length,
  series: seriesCount,
  minuteRingBytes: ringByteLength(MINUTE_RING),
  hourRingBytes: ringByteLength(HOUR_RING),
  fillSeconds: round(fillSeconds, 2),
  used_memory: usedMemory,
  used_memory_human: filled.used_memory_human,
  used_memory_dataset: Number(filled.used_memory_dataset),
  used_memory_baseline: Number(baseline.used_memory),
  keys,
  bytesPerSeries: Math.round((usedMemory - Number(baseline.used_memory)) / seriesCount),
  aimBytes: AIM_BYTES,
  underAim: usedMemory < AIM_BYTES,
  memoryUsage: { setWritten, luaWritten },
  liveFormatCheck: { attempts: liveAttempts, series: liveSeries.length, ok: true },
  historyBytesPerRecord,
  recordJsonBytes,
  idKeyBytes,
  projection: {
    note: 'not aggregates: history at N=50 for every (target, region), and 7-day id keys at the given rate',
    attemptsPerSeriesPerMinute: perSeriesPerMinute,
    historyBytesAtN50: historyBytesPerRecord * 50 * targets * regions.length,
    idKeysAt7d,
    idBytesAt7d: idKeysAt7d * idKeyBytes,
  },
  ingestAttempts,
  ingestSeries,
  ingestBatch: batchSize,
  ingestSeconds: round(ingestSeconds, 3),
  ingestPerSecond: Math.round(ingestAttempts / ingestSeconds),
  redisCpuSeconds: round(redisCpuSeconds, 3),
  redisCpuUsPerAttempt: round((redisCpuSeconds * 1e6) / ingestAttempts, 1),
  clientCpuSeconds: round((clientCpu.user + clientCpu.system) / 1e6, 3),
};
await redis.quit();
const json = JSON.stringify(result, null, 2);
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, `${json}\n`);
process.stdout.write(`${json}\n`);

function cpuSeconds(cpu: Record<string, string>): number {
  return Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys);
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** A ring with every bucket in reach written: `perBucket` attempts, a few failures, spread RTTs. */
function fullRing(spec: RingSpec, headUnit: number, perBucket: number, seed: number): Ring {
  const ring = emptyRing(spec);
  ring.headUnit = headUnit;
  for (let unit = headUnit - spec.size + 1; unit <= headUnit; unit++) {
    const failures = (unit * 7 + seed) % 3 === 0 ? 1 : 0;
    const successes = perBucket - failures;
    const rttBins = new Array<number>(RTT_BIN_COUNT).fill(0);
    for (let n = 0; n < successes; n++) {
      const bin = (unit + n + seed) % RTT_BIN_COUNT;
      rttBins[bin] = (rttBins[bin] ?? 0) + 1;
    }
    const bucket: Bucket = { attempts: perBucket, successes, rttBins };
    ring.buckets[ringIndex(unit, spec)] = bucket;
  }
  return ring;
}

function targetName(n: number): string {
  return `target-${String(n).padStart(5, '0')}`;
}

/** An ingest input from a realistic answered SYN record (about the size real ones have). */
function input(series: Series, startedAtMs: number, n: number): IngestInput {
  const id = randomUUID();
  const rttUs = 800 + ((n * 7919) % 150_000);
  const record: SynAttemptRecord = {
    v: 1,
    id,
    kind: 'syn',
    target: { name: series.target, address: '192.0.2.10', port: 443, family: 'v4' },
    source: { address: '198.51.100.7', port: 40_000 + (n % 20_000) },
    startedAt: new Date(startedAtMs).toISOString(),
    synSentUs: [35],
    answerUs: 35 + rttUs,
    rttUs,
    retransmits: 0,
    outcome: 'synack',
    answeredSyn: 0,
    synack: { window: 65_160, ttl: 57, mss: 1_460, windowScale: 7, sackPermitted: true, timestamps: true },
  };
  return {
    id,
    ...series,
    startedAtMs,
    success: true,
    rttUs,
    outcome: record.outcome,
    recordJson: JSON.stringify(record),
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
