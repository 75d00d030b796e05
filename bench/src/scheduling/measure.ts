import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseInfo, parsePids, percentile, procSample, round1, sleep } from './proc-sample.ts';

// The measuring side of bench/scheduling, run in the bench client namespace next to Redis and the
// services: waits out the warm-up, then over the window reads each process's CPU (/proc), Redis's
// CPU (INFO cpu) and the collector's ingest counter (/healthz) at both ends, samples the queues
// every second, and afterwards reads the (target, region) history lists to get each attempt's
// lateness against its slot: Date.parse(startedAt) - dueAtMs, for every attempt due in the window.
const { values } = parseArgs({
  options: {
    'redis-port': { type: 'string' },
    'collector-url': { type: 'string' },
    pids: { type: 'string', default: '' },
    'heap-files': { type: 'string', default: '' },
    regions: { type: 'string', default: 'bench-a,bench-b,bench-c' },
    targets: { type: 'string', default: '10000' },
    'interval-ms': { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '20' },
    duration: { type: 'string', default: '60' },
    prefix: { type: 'string', default: 'synack' },
    meta: { type: 'string', default: '{}' },
    out: { type: 'string' },
  },
});
if (!values['redis-port'] || !values['collector-url'] || !values.out) {
  throw new TypeError('usage: measure.ts --redis-port P --collector-url URL --pids name=pid,... --out FILE');
}
const prefix = values.prefix;
const regions = values.regions.split(',');
const targets = Number(values.targets);
const intervalMs = Number(values['interval-ms']);
const durationMs = Number(values.duration) * 1000;
const pids = parsePids(values.pids);
const heapFiles = values['heap-files']
  .split(',')
  .filter(Boolean)
  .map((pair) => pair.split('=') as [string, string]);
const redis = new Redis({ port: Number(values['redis-port']), host: '127.0.0.1', lazyConnect: true });
await redis.connect();

const log = (message: string) => process.stderr.write(`measure: ${message}\n`);
const ingestedSoFar = async (): Promise<number> => {
  const reply = (await (await fetch(`${values['collector-url']}/healthz`)).json()) as { ingested: number };
  return reply.ingested;
};
const redisCpu = async () => {
  const info = parseInfo(await redis.info('cpu'));
  return Number(info.used_cpu_user) + Number(info.used_cpu_sys);
};

log(`warm-up ${values.warmup} s`);
await sleep(Number(values.warmup) * 1000);
if ((await ingestedSoFar()) === 0) throw new Error('nothing ingested after the warm-up: see the service logs');

const procsAt = () => Object.fromEntries(pids.map(([name, pid]) => [name, procSample(pid)]));
const startProcs = procsAt();
const startRedisCpu = await redisCpu();
const startIngested = await ingestedSoFar();
const t0 = Date.now();
log(`measuring ${durationMs / 1000} s`);

// Queue depths once a second: results waiting for the collector, probe jobs waiting or active.
const depth = { resultsWaitMax: 0, probeWaitMax: 0, probeActiveMax: 0, probeDelayed: 0 };
while (Date.now() < t0 + durationMs) {
  const multi = redis.multi().llen(`${prefix}:results:wait`);
  for (const region of regions) {
    multi.llen(`${prefix}:probe-${region}:wait`).llen(`${prefix}:probe-${region}:active`);
    multi.zcard(`${prefix}:probe-${region}:delayed`);
  }
  const replies = ((await multi.exec()) ?? []).map(([, n]) => Number(n));
  depth.resultsWaitMax = Math.max(depth.resultsWaitMax, replies[0] ?? 0);
  for (let r = 0; r < regions.length; r++) {
    depth.probeWaitMax = Math.max(depth.probeWaitMax, replies[1 + r * 3] ?? 0);
    depth.probeActiveMax = Math.max(depth.probeActiveMax, replies[2 + r * 3] ?? 0);
    depth.probeDelayed = replies[3 + r * 3] ?? 0;
  }
  await sleep(Math.min(1000, Math.max(0, t0 + durationMs - Date.now())));
}
const t1 = Date.now();
const endRedisCpu = await redisCpu();
const endIngested = await ingestedSoFar();
const endProcs = procsAt();
const wallS = (t1 - t0) / 1000;

// Attempts due late in the window are still being probed, sent and ingested: let them land.
for (let i = 0; i < 60 && (await redis.llen(`${prefix}:results:wait`)) > 0; i++) await sleep(500);
await sleep(4000);
const memory = parseInfo(await redis.info('memory'));
const persistence = parseInfo(await redis.info('persistence'));

// Each list is newest first; the newest 12 cover the window and the wait after it at 10 s.
const lateness: number[] = [];
const byRegion = new Map<string, number[]>(regions.map((r) => [r, []]));
// Where in its 100 ms slot the target was due (dueAtMs % 100: slots start on multiples of 100 ms):
// a job picked up late makes the targets at the start of its slot late, and not the others.
const AT_BANDS = [0, 10, 25, 50, 100];
const byAtMs = AT_BANDS.slice(1).map((): number[] => []);
const outcomes: Record<string, number> = {};
const seen = new Set<string>();
let duplicates = 0;
const keep = Math.ceil((durationMs + 20_000) / intervalMs) + 2;
const keys: string[] = [];
for (let t = 0; t < targets; t++) {
  const name = `t-${10 + (t % 100)}-${10_001 + Math.floor(t / 100)}`;
  for (const region of regions) keys.push(`${prefix}:l:${name}:${region}`);
}
for (let at = 0; at < keys.length; at += 500) {
  const pipeline = redis.pipeline();
  for (const key of keys.slice(at, at + 500)) pipeline.lrange(key, 0, keep - 1);
  for (const [, items] of (await pipeline.exec()) ?? []) {
    for (const json of items as string[]) {
      const r = JSON.parse(json) as {
        startedAt: string;
        dueAtMs: number;
        region: string;
        outcome: string;
        target: { name: string };
      };
      if (r.dueAtMs < t0 || r.dueAtMs >= t0 + durationMs) continue;
      const id = `${r.target.name} ${r.region} ${r.dueAtMs}`;
      if (seen.has(id)) {
        duplicates++;
        continue;
      }
      seen.add(id);
      const late = Date.parse(r.startedAt) - r.dueAtMs;
      lateness.push(late);
      byRegion.get(r.region)?.push(late);
      byAtMs[AT_BANDS.findIndex((edge) => r.dueAtMs % 100 < edge) - 1]?.push(late);
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    }
  }
}
const stats = (list: number[]) => {
  const sorted = Float64Array.from(list).sort();
  return {
    count: sorted.length,
    minMs: sorted[0] ?? null,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: sorted[sorted.length - 1] ?? null,
    over100Ms: sorted.filter((x) => x > 100).length,
  };
};
function histogram(list: number[]): Record<string, number> {
  const edges = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
  const out: Record<string, number> = {};
  for (const x of list) {
    const i = edges.findIndex((edge) => x < edge);
    const label =
      i === 0 ? '<0' : i < 0 ? `>=${edges[edges.length - 1]}` : `${edges[i - 1]}-${(edges[i] as number) - 1}`;
    out[label] = (out[label] ?? 0) + 1;
  }
  return out;
}
// The window is a whole number of intervals: every series is due exactly that many times in it.
const expected = targets * regions.length * Math.round(durationMs / intervalMs);
const processes = Object.fromEntries(
  pids.map(([name]) => {
    const a = startProcs[name];
    const b = endProcs[name];
    if (!a || !b) throw new Error(`no sample for ${name}`);
    return [
      name,
      { cpuCores: +((b.cpuSeconds - a.cpuSeconds) / wallS).toFixed(3), rssMiB: b.rssMiB, hwmMiB: b.hwmMiB },
    ];
  }),
);
// Heap over the whole run and within the window: the window's lowest heapUsed is about the live
// heap (what is left after a major GC); the highest, that plus the garbage between two of them.
const heaps = Object.fromEntries(
  heapFiles.map(([name, file]) => {
    let samples: number[][];
    try {
      samples = (JSON.parse(readFileSync(file, 'utf8')) as { samples: number[][] }).samples;
    } catch {
      return [name, null];
    }
    const inWindow = samples.filter(([at]) => (at as number) >= t0 && (at as number) < t1);
    const col = (rows: number[][], i: number) => rows.map((row) => row[i] as number);
    const maxAt = samples.reduce((best, row) => ((row[1] as number) > (best[1] as number) ? row : best), [0, 0]);
    return [
      name,
      {
        rssMaxMiB: Math.max(...col(samples, 1)),
        rssMaxSecondsAfterStart: Math.round(((maxAt[0] as number) - (samples[0]?.[0] as number)) / 1000),
        heapUsedMaxMiB: Math.max(...col(samples, 2)),
        window: {
          rssMinMiB: Math.min(...col(inWindow, 1)),
          rssMaxMiB: Math.max(...col(inWindow, 1)),
          heapUsedMinMiB: Math.min(...col(inWindow, 2)),
          heapUsedMaxMiB: Math.max(...col(inWindow, 2)),
          heapTotalMaxMiB: Math.max(...col(inWindow, 3)),
          externalMaxMiB: Math.max(...col(inWindow, 4)),
        },
      },
    ];
  }),
);
// What the store's memory is made of: every key counted by kind (one SCAN pass, after the
// window), and MEMORY USAGE of the first 50 of each kind times the count.
const dbsize = await redis.dbsize();
const kindOf = (key: string) => {
  const end = key.indexOf(':', prefix.length + 1);
  return key.slice(prefix.length + 1, end < 0 ? undefined : end);
};
const counted = new Map<string, { keys: number; sample: string[] }>();
let cursor = '0';
for (let calls = 0; calls < 10_000; calls++) {
  const [next, batch] = await redis.scan(cursor, 'COUNT', 10_000);
  for (const key of batch) {
    const kind = key.startsWith(`${prefix}:`) ? kindOf(key) : '(other)';
    const entry = counted.get(kind) ?? { keys: 0, sample: [] };
    entry.keys++;
    if (entry.sample.length < 50) entry.sample.push(key);
    counted.set(kind, entry);
  }
  cursor = next;
  if (cursor === '0') break;
}
const KIND_NAMES: Record<string, string> = {
  m: 'minute rings',
  h: 'hour rings',
  l: 'history lists',
  id: 'attempt ids',
  s: 'latest state',
};
const keyMemory: Record<string, { keys: number; bytesPerKey: number; totalMiB: number }> = {};
for (const [kind, { keys, sample }] of [...counted].sort((a, b) => b[1].keys - a[1].keys)) {
  const sizes = await Promise.all(sample.map((key) => redis.memory('USAGE', key)));
  const bytesPerKey = Math.round(sizes.reduce((a: number, b) => a + Number(b ?? 0), 0) / sample.length);
  keyMemory[KIND_NAMES[kind] ?? kind] = { keys, bytesPerKey, totalMiB: round1((keys * bytesPerKey) / 1048576) };
}
const result = {
  ...JSON.parse(values.meta),
  targets,
  regions: regions.length,
  intervalMs,
  probesPerSecondAsked: (targets * regions.length * 1000) / intervalMs,
  windowSeconds: round1(wallS),
  attemptsDueInWindow: { expected, found: lateness.length, missing: expected - lateness.length, duplicates },
  lateness: stats(lateness),
  latenessByAtMsInSlot: Object.fromEntries(
    byAtMs.map((list, i) => [`${AT_BANDS[i]}-${(AT_BANDS[i + 1] as number) - 1}ms`, stats(list)]),
  ),
  latenessHistogram: histogram(lateness),
  latenessByRegion: Object.fromEntries([...byRegion].map(([region, list]) => [region, stats(list)])),
  outcomes,
  ingestedPerSecond: Math.round((endIngested - startIngested) / wallS),
  redis: {
    cpuCores: +((endRedisCpu - startRedisCpu) / wallS).toFixed(3),
    usedMemoryMiB: round1(Number(memory.used_memory) / 1048576),
    usedMemoryPeakMiB: round1(Number(memory.used_memory_peak) / 1048576),
    aofMiB: round1(Number(persistence.aof_current_size ?? 0) / 1048576),
    keys: dbsize,
    byKind: keyMemory,
  },
  queueDepth: depth,
  processes,
  heaps,
};
await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
redis.disconnect();
