// `GET /v1/slo` at 10,000 targets × 3 regions with 30 days of SLO aggregates, and the Redis memory
// those aggregates take, against the redis-server bench/slo-report started.
//
// The SLO rings (slo-ring.ts: a u32 head unit, then counted/good/excluded counters of
// SLO_COUNTER_BITS per bucket; 180 one-minute and 744 one-hour buckets per (target, region)) are
// written whole with SET, every bucket in reach filled. A self-check first ingests real attempts
// through the ingest script and checks that the rings it writes are byte for byte what the filler
// writes for the same counts. Then a real collector (startCollector from collector/src/main.ts, in
// a child process of this script, on the collector's Node flags, `sloRefreshMs` one hour) serves
// the API: its first SLO refresh is waited for (and timed), the background refresh is then
// stopped, and sequential requests are timed from this process, body read in full, JSON parsed
// apart. `GET /v1/slo` is answered from the SLO service's latest refresh while it is fresh;
// `GET /v1/slo?window=30d` (the same reports) is computed for each request, as the refresh does.
// Collector CPU and GC per request are the child's own (`process.cpuUsage()`, perf_hooks). Last,
// where the time of computing the reports goes: the same functions run here phase by phase (Redis
// reads, ring decoding, report maths, JSON).
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCollector } from '@synack/collector/main';
import { readSloBuckets } from '@synack/collector/slo/read-slo-buckets';
import { burnDown, mergeBuckets, sloReport } from '@synack/collector/slo/slo-report';
import {
  epochHour,
  epochMinute,
  MINUTE_MS,
  RING_HEADER_BYTES,
  type RingSpec,
  ringIndex,
} from '@synack/collector/store/bucket-math';
import { type IngestInput, ingestBatch, storeKeys } from '@synack/collector/store/ingest-script';
import {
  decodeSloRing,
  SLO_BUCKET_COUNTERS,
  SLO_COUNTER_BITS,
  SLO_RINGS,
  sliBuckets,
  sloRingByteLength,
} from '@synack/collector/store/slo-ring';
import { parseConfig } from '@synack/shared/config/parse-config';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { createLogger } from '@synack/shared/logger';
import { generateSigningKey } from '@synack/shared/signing-key';
import { createJobSigner } from '@synack/shared/wire/signed-job';
import type { SloReport, SloReportList } from '@synack/shared/wire/slo-report';
import { Redis } from 'ioredis';
import { connectLocalRedis, redisInfo } from './local-redis.ts';
import { percentile } from './scheduling/proc-sample.ts';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    port: { type: 'string' },
    out: { type: 'string' },
    targets: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '45' },
    'target-requests': { type: 'string', default: '50' },
    'metrics-requests': { type: 'string', default: '10' },
    concurrent: { type: 'string', default: '2' },
  },
});
if (!values.port) throw new TypeError('usage: slo-report.ts --port PORT --out FILE [--targets N] [--requests N]');
const port = Number(values.port);
const targetCount = Number(values.targets);
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const PREFIX = 'synack';
const THRESHOLD_MS = 500;
// Both probe kinds every 10 s: 12 attempts a minute, 720 an hour, per (target, region).
const PER_MINUTE = 12;
const PER_HOUR = 720;
const COUNTER_BYTES = SLO_COUNTER_BITS / 8;

type Counts = readonly [counted: number, good: number, excluded: number];
type CollectorReady = { url: string; startupSeconds: number; firstRefreshCpuSeconds: number; reports: number };
type RequestSummary = {
  path: string;
  requests: number;
  /** To the last body byte. */
  latencyMs: { p50: number; p90: number; max: number };
  /** To the response headers (a JSON body is built whole before them). */
  headersMsP50: number;
  collectorCpuMsPerRequest: number;
  collectorGcMsPerRequest: number;
  responseBytes: number;
  clientDecodeAndJsonParseMs?: number;
  clientDecodeMs?: number;
};
type CollectorUsage = {
  cpuSeconds: number;
  /** Main-thread GC pauses since start (perf_hooks 'gc' entries). */
  gcMs: number;
  rssMiB: number;
  heapUsedMiB: number;
  peakRssMiB: number;
};

if (values.role === 'collector') await collectorRole();
else await mainRole();

async function mainRole(): Promise<void> {
  if (!values.out) throw new TypeError('--out FILE is needed');
  const nowMs = Date.now();
  const redis = await connectLocalRedis(port);
  await redis.flushall();
  const redisVersion = (await redisInfo(redis, 'server')).redis_version;
  const liveFormatCheck = await checkFillerAgainstScript(redis, nowMs);
  await redis.flushall();
  const baseline = Number((await redisInfo(redis, 'memory')).used_memory);

  // Eight distinct full ring pairs, shared by all series: contents do not change sizes.
  const templates = Array.from({ length: 8 }, (_, seed) => ({
    minute: encodeSloRing(SLO_RINGS.minute, epochMinute(nowMs), (unit) => minuteCounts(unit, seed)),
    hour: encodeSloRing(SLO_RINGS.hour, epochHour(nowMs), (unit) => hourCounts(unit, seed)),
  }));
  const fillStart = performance.now();
  const names = Array.from({ length: targetCount }, (_, n) => targetName(n));
  for (let at = 0; at < names.length; at += 500) {
    const pipeline = redis.pipeline();
    names.slice(at, at + 500).forEach((target, n) => {
      REGIONS.forEach((region, r) => {
        const template = templates[(at + n + r) % templates.length] ?? templates[0];
        if (!template) throw new TypeError('no ring templates');
        pipeline.set(storeKeys.sloMinuteRing(PREFIX, target, region, THRESHOLD_MS), template.minute);
        pipeline.set(storeKeys.sloHourRing(PREFIX, target, region, THRESHOLD_MS), template.hour);
      });
    });
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const filled = await redisInfo(redis, 'memory');
  const series = targetCount * REGIONS.length;
  const usedMemory = Number(filled.used_memory);
  const first = names[0] ?? targetName(0);
  const memory = {
    used_memory_baseline: baseline,
    used_memory: usedMemory,
    used_memory_human: filled.used_memory_human,
    sloBytes: usedMemory - baseline,
    series,
    keys: await redis.dbsize(),
    bytesPerSeries: Math.round((usedMemory - baseline) / series),
    minuteRingBytes: sloRingByteLength(SLO_RINGS.minute),
    hourRingBytes: sloRingByteLength(SLO_RINGS.hour),
    memoryUsageMinuteKey: await redis.memory(
      'USAGE',
      storeKeys.sloMinuteRing(PREFIX, first, REGIONS[0] as string, THRESHOLD_MS),
    ),
    memoryUsageHourKey: await redis.memory(
      'USAGE',
      storeKeys.sloHourRing(PREFIX, first, REGIONS[0] as string, THRESHOLD_MS),
    ),
  };
  const filledMiB = (memory.sloBytes / 2 ** 20).toFixed(1);
  process.stderr.write(`slo-report: ${series} series filled in ${fillSeconds.toFixed(1)} s, ${filledMiB} MiB\n`);

  const collector = await startCollectorChild();
  process.stderr.write(`slo-report: collector ready, first refresh ${collector.ready.startupSeconds.toFixed(1)} s\n`);
  const budgetMs = Number(values.seconds) * 1000;
  const base = collector.ready.url;
  let listed: ReturnType<typeof summarizeList> | undefined;
  const list = await timeRequests(collector, `${base}/v1/slo`, Number(values.requests), budgetMs, (text) => {
    listed = summarizeList(JSON.parse(text) as SloReportList, first);
  });
  let computedListed: ReturnType<typeof summarizeList> | undefined;
  const computed = await timeRequests(
    collector,
    `${base}/v1/slo?window=30d`,
    Number(values.requests),
    budgetMs,
    (text) => {
      computedListed = summarizeList(JSON.parse(text) as SloReportList, first);
    },
  );
  const one = await timeRequests(
    collector,
    `${base}/v1/slo/${targetName(Math.floor(targetCount / 2))}`,
    Number(values['target-requests']),
    budgetMs,
    () => undefined,
  );
  let gauges: ReturnType<typeof sloGauges> | undefined;
  const metrics = await timeRequests(
    collector,
    `${base}/metrics`,
    Number(values['metrics-requests']),
    budgetMs,
    (text) => {
      gauges = sloGauges(text);
    },
    false,
  );
  const collectorPeak = await collector.usage();
  const concurrent = await concurrentRequests(collector, `${base}/v1/slo`, Number(values.concurrent));
  if (!concurrent.collectorExited) await collector.stop();

  // Where computing the reports (a refresh, or GET /v1/slo?window=) spends its time, phase by phase.
  const breakdown = await profileReports(redis, nowMs);
  await redis.quit();

  const result = {
    bench: 'slo-report',
    at: new Date(nowMs).toISOString(),
    node: process.version,
    redisVersion,
    targets: targetCount,
    regions: REGIONS.length,
    slo: { objective: 0.999, windowMs: 30 * 86_400_000, thresholdMs: THRESHOLD_MS },
    sloCounterBits: SLO_COUNTER_BITS,
    fill: { perMinute: PER_MINUTE, perHour: PER_HOUR, fillSeconds: round(fillSeconds, 2) },
    liveFormatCheck,
    memory,
    collector: {
      firstRefreshSeconds: round(collector.ready.startupSeconds, 2),
      firstRefreshCpuSeconds: round(collector.ready.firstRefreshCpuSeconds, 2),
      reportsCached: collector.ready.reports,
      peakRssMiB: collectorPeak.peakRssMiB,
    },
    sloList: {
      ...list,
      reports: listed?.reports ?? null,
      burnDownPointsPerReport: listed?.burnDownPoints ?? null,
      sampleOverall: listed?.overall ?? null,
      sampleBudgetRemaining: listed?.budgetRemaining ?? null,
    },
    sloListComputed: {
      ...computed,
      reports: computedListed?.reports ?? null,
      sampleOverall: computedListed?.overall ?? null,
    },
    sloTarget: one,
    concurrentSloList: concurrent,
    metrics: { ...metrics, sloGauges: gauges ?? null },
    breakdown,
  };
  const json = JSON.stringify(result, null, 2);
  await mkdir(dirname(values.out), { recursive: true });
  await writeFile(values.out, `${json}\n`);
  printTable(result);
  process.stdout.write(`${json}\n`);
}

/** What the report list says, without keeping it (a full one parses to about a GB of objects). */
function summarizeList(body: SloReportList, target: string) {
  const sample = body.slos.find((s) => s.target === target);
  return {
    reports: body.slos.length,
    burnDownPoints: sample?.burnDown.length ?? null,
    overall: sample?.overall ?? null,
    budgetRemaining: sample?.budgetRemaining ?? null,
  };
}

/** One minute bucket of a filled ring: 12 attempts, about one in 2,000 bad, a few minutes excluded. */
function minuteCounts(unit: number, seed: number): Counts {
  const excluded = (unit * 11 + seed) % 997 === 0 ? PER_MINUTE : 0;
  const counted = PER_MINUTE - excluded;
  const bad = counted > 0 && (unit * 7 + seed) % 167 === 0 ? 1 : 0;
  return [counted, counted - bad, excluded];
}

/** One hour bucket: 720 attempts, a bad one every third hour, one hour in 50 with a minute excluded. */
function hourCounts(unit: number, seed: number): Counts {
  const excluded = (unit * 11 + seed) % 50 === 0 ? PER_MINUTE : 0;
  const counted = PER_HOUR - excluded;
  const bad = (unit * 7 + seed) % 3 === 0 ? 1 : 0;
  return [counted, counted - bad, excluded];
}

/** An SLO ring string as the ingest script leaves it, with `countsOf(unit)` in every unit in reach. */
function encodeSloRing(spec: RingSpec, headUnit: number, countsOf: (unit: number) => Counts | undefined): Buffer {
  const bytes = Buffer.alloc(sloRingByteLength(spec));
  bytes.writeUInt32BE(headUnit, 0);
  for (let unit = headUnit - spec.size + 1; unit <= headUnit; unit++) {
    const counts = countsOf(unit);
    if (!counts) continue;
    const at = RING_HEADER_BYTES + ringIndex(unit, spec) * SLO_BUCKET_COUNTERS * COUNTER_BYTES;
    for (const [n, value] of counts.entries()) bytes.writeUIntBE(value, at + n * COUNTER_BYTES, COUNTER_BYTES);
  }
  return bytes;
}

/**
 * Ingests attempts through the real script into one (target, region), good, bad and excluded,
 * over several minutes and hours (one too old for the minute ring), and checks both rings against
 * the filler's strings for the same counts.
 */
async function checkFillerAgainstScript(redis: Redis, nowMs: number) {
  const target = 'check-target';
  const region = REGIONS[0] as string;
  const states = ['good', 'good', 'bad', 'good', 'excluded', 'good', 'bad'] as const;
  const offsetsMin = [0, 0, 1, 2, 2, 5, 59, 61, 62, 125, 179, 200, 300, 1500];
  const inputs: IngestInput[] = [];
  const minute = new Map<number, [number, number, number]>();
  const hour = new Map<number, [number, number, number]>();
  offsetsMin.forEach((offset, n) => {
    for (let k = 0; k <= n % 3; k++) {
      const state = states[(n + k) % states.length] ?? 'good';
      const startedAtMs = nowMs - offset * MINUTE_MS - k * 1000;
      inputs.push({
        id: `check-${n}-${k}`,
        target,
        region,
        kind: k % 2 === 0 ? 'syn' : 'connect',
        startedAtMs,
        success: state !== 'bad',
        rttUs: state === 'bad' ? null : 2_000,
        outcome: state === 'bad' ? 'timeout' : 'synack',
        recordJson: '{}',
        slo: { thresholdMs: THRESHOLD_MS, state },
      });
      for (const [map, unit] of [
        [minute, epochMinute(startedAtMs)],
        [hour, epochHour(startedAtMs)],
      ] as const) {
        const counts = map.get(unit) ?? [0, 0, 0];
        if (state === 'excluded') counts[2]++;
        else {
          counts[0]++;
          if (state === 'good') counts[1]++;
        }
        map.set(unit, counts);
      }
    }
  });
  const results = await ingestBatch(redis, PREFIX, inputs, nowMs);
  if (results.some((r) => r !== 'new')) throw new Error(`self-check: ingest answered ${results.join(',')}`);
  const rings = [
    {
      name: 'minute',
      key: storeKeys.sloMinuteRing(PREFIX, target, region, THRESHOLD_MS),
      expected: encodeSloRing(SLO_RINGS.minute, Math.max(...minute.keys()), (unit) => minute.get(unit)),
    },
    {
      name: 'hour',
      key: storeKeys.sloHourRing(PREFIX, target, region, THRESHOLD_MS),
      expected: encodeSloRing(SLO_RINGS.hour, Math.max(...hour.keys()), (unit) => hour.get(unit)),
    },
  ];
  for (const ring of rings) {
    const actual = await redis.getBuffer(ring.key);
    if (!actual?.equals(ring.expected))
      throw new Error(`self-check: the script's ${ring.name} SLO ring differs from the filler's`);
  }
  return { attempts: inputs.length, minuteBuckets: minute.size, hourBuckets: hour.size, identical: true };
}

function targetName(n: number): string {
  return `t-${String(n).padStart(5, '0')}`;
}

function buildConfig(targets: number): SynackConfig {
  const lines = [
    `redis: redis://127.0.0.1:${port}`,
    `prefix: ${PREFIX}`,
    `regions: [${REGIONS.join(', ')}]`,
    'allow: [{ cidr: 198.18.0.0/15, ports: "443" }]',
    `defaults: { interval: 10s, timeout: 3s, slo: { objective: 99.9%, threshold: ${THRESHOLD_MS}ms } }`,
    'targets:',
  ];
  for (let n = 0; n < targets; n++)
    lines.push(`  - { name: ${targetName(n)}, address: 198.18.${n >> 8}.${n & 255}, port: 443 }`);
  const parsed = parseConfig(`${lines.join('\n')}\n`, 'slo-report.yaml', {});
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.line}: ${i.path}: ${i.message}`).join('\n'));
  return parsed.config;
}

/** The collector: started, first SLO refresh waited for, then the background refresh stopped. */
async function collectorRole(): Promise<void> {
  const config = buildConfig(targetCount);
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  const connection = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null });
  const redis = new Redis({ port, host: '127.0.0.1' });
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const handle = await startCollector({
    config,
    connection,
    redis,
    listen: { hostname: '127.0.0.1', port: 0 },
    logger: createLogger('slo-report-collector', 'silent'),
    telemetry: { sloRefreshMs: 3_600_000 },
    // No runner here: what it would sign (traceroutes) is never taken; a key for this run.
    signer: createJobSigner(generateSigningKey().privateKey),
  });
  // The first refresh starts with the collector; stop() waits for it (alerts evaluated too) and
  // leaves no refresh to run during the measurements. Requests compute their reports anew.
  while (handle.slo.cached.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await handle.slo.stop();
  const cpu = process.cpuUsage(cpuStart);
  const ready: CollectorReady = {
    url: handle.url,
    startupSeconds: (performance.now() - start) / 1000,
    firstRefreshCpuSeconds: (cpu.user + cpu.system) / 1e6,
    reports: handle.slo.cached.length,
  };
  process.on('message', (message) => {
    if (message === 'stop') {
      void handle.stop().then(() => {
        connection.disconnect();
        redis.disconnect();
        process.disconnect?.();
      });
      return;
    }
    const now = process.cpuUsage();
    const memory = process.memoryUsage();
    const usage: CollectorUsage = {
      cpuSeconds: (now.user + now.system) / 1e6,
      gcMs,
      rssMiB: round(memory.rss / 2 ** 20, 1),
      heapUsedMiB: round(memory.heapUsed / 2 ** 20, 1),
      peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    };
    process.send?.(usage);
  });
  process.send?.(ready);
}

async function startCollectorChild(): Promise<{
  ready: CollectorReady;
  /** The exit code or signal once the child has exited. */
  exited(): string | undefined;
  usage(): Promise<CollectorUsage>;
  stop(): Promise<void>;
}> {
  const child: ChildProcess = fork(
    fileURLToPath(import.meta.url),
    ['--role', 'collector', '--port', String(port), '--targets', String(targetCount)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`collector child exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as T);
      });
    });
  const ready = await next<CollectorReady>();
  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    exit = String(code ?? signal);
  });
  return {
    ready,
    exited: () => exit,
    async usage() {
      const reply = next<CollectorUsage>();
      child.send('usage');
      return reply;
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('stop');
      await exited;
    },
  };
}

/**
 * Sequential GETs: time to the response headers and to the last body byte (read as bytes), then,
 * apart, the client's UTF-8 decoding and JSON parse; the collector's CPU and GC per request. The
 * first body goes to `inspect` and is not kept (a full /v1/slo parses to about a GB of objects).
 */
async function timeRequests(
  collector: Awaited<ReturnType<typeof startCollectorChild>>,
  url: string,
  count: number,
  budgetMs: number,
  inspect: (text: string) => void,
  json = true,
): Promise<RequestSummary> {
  const latenciesMs: number[] = [];
  const headersMs: number[] = [];
  const parseMs: number[] = [];
  const cpuMs: number[] = [];
  const gcMs: number[] = [];
  let bytes = 0;
  const start = performance.now();
  for (let n = 0; n < count; n++) {
    if (n >= 3 && performance.now() - start > budgetMs) break;
    const before = await collector.usage();
    const sent = performance.now();
    const response = await fetch(url);
    const headers = performance.now();
    const body = Buffer.from(await response.arrayBuffer());
    const done = performance.now();
    const after = await collector.usage();
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.toString('utf8', 0, 200)}`);
    headersMs.push(headers - sent);
    latenciesMs.push(done - sent);
    cpuMs.push((after.cpuSeconds - before.cpuSeconds) * 1000);
    gcMs.push(after.gcMs - before.gcMs);
    bytes = body.length;
    const parseStart = performance.now();
    const text = body.toString('utf8');
    if (json) JSON.parse(text);
    parseMs.push(performance.now() - parseStart);
    if (n === 0) inspect(text);
  }
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const mean = (list: number[]) => round(list.reduce((a, b) => a + b, 0) / list.length, 1);
  return {
    path: new URL(url).pathname + new URL(url).search,
    requests: latenciesMs.length,
    latencyMs: {
      p50: round(percentile(sorted, 50), 1),
      p90: round(percentile(sorted, 90), 1),
      max: round(sorted.at(-1) ?? Number.NaN, 1),
    },
    headersMsP50: round(
      percentile(
        [...headersMs].sort((a, b) => a - b),
        50,
      ),
      1,
    ),
    collectorCpuMsPerRequest: mean(cpuMs),
    collectorGcMsPerRequest: mean(gcMs),
    responseBytes: bytes,
    [json ? 'clientDecodeAndJsonParseMs' : 'clientDecodeMs']: mean(parseMs),
  };
}

/**
 * `count` GET /v1/slo at once (two dashboards open, say): each one's latency and status, and
 * whether the collector survived them.
 */
async function concurrentRequests(
  collector: Awaited<ReturnType<typeof startCollectorChild>>,
  url: string,
  count: number,
) {
  if (count < 1) return { requests: 0, collectorExited: false };
  const before = await collector.usage();
  const sent = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, async () => {
      try {
        const response = await fetch(url);
        const bytes = (await response.arrayBuffer()).byteLength;
        return { status: response.status, bytes, ms: round(performance.now() - sent, 0) };
      } catch (error) {
        return { error: (error as Error).message, ms: round(performance.now() - sent, 0) };
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const exit = collector.exited();
  const after = exit === undefined ? await collector.usage() : undefined;
  return {
    requests: count,
    outcomes,
    collectorExited: exit !== undefined,
    ...(exit === undefined ? {} : { collectorExit: exit }),
    ...(after
      ? {
          collectorCpuMs: round((after.cpuSeconds - before.cpuSeconds) * 1000, 0),
          collectorGcMs: round(after.gcMs - before.gcMs, 0),
          collectorPeakRssMiB: after.peakRssMiB,
        }
      : {}),
  };
}

/**
 * The SLO gauges in a Prometheus text: series per gauge, the targets that have an objective
 * series, and whether the SDK folded series into `otel_metric_overflow` (its cardinality limit).
 */
function sloGauges(text: string) {
  const series: Record<string, number> = {};
  const targets = new Set<string>();
  let overflow = false;
  for (const line of text.split('\n')) {
    const name = /^(synack_slo_(sli|objective|error_budget_remaining|burn_rate|alert_firing))\{/.exec(line)?.[1];
    if (!name) continue;
    series[name] = (series[name] ?? 0) + 1;
    if (line.includes('otel_metric_overflow="true"')) overflow = true;
    const target = /target="([^"]*)"/.exec(line)?.[1];
    if (name === 'synack_slo_objective' && target) targets.add(target);
  }
  return { series, targetsWithObjective: targets.size, overflowSeries: overflow };
}

/**
 * Computing every report, taken apart, with the collector's functions (slo-service.ts): Redis
 * reads in chunks of 500 targets (raw GETs alone, then readSloBuckets, whose difference is ring
 * decoding and bucket lists), the reports (merging regions and the burn-down timed alone too),
 * and JSON.stringify of the body. Run in this process, after the collector stopped.
 */
async function profileReports(redis: Redis, fetchedMs: number) {
  const config = buildConfig(targetCount);
  const subjects = config.targets.flatMap((t) => (t.slo ? [{ target: t, slo: t.slo }] : []));
  const nowMs = Math.max(fetchedMs, Date.now());
  const CHUNK = 500;
  const ms = { redisGet: 0, readSloBuckets: 0, sloReport: 0, mergeBuckets: 0, burnDown: 0 };
  let redisBytes = 0;
  let bucketsPerRegion = 0;
  const reports: SloReport[] = [];
  for (let i = 0; i < subjects.length; i += CHUNK) {
    const chunk = subjects.slice(i, i + CHUNK);
    let at = performance.now();
    const pipeline = redis.pipeline();
    for (const { target, slo } of chunk)
      for (const region of target.regions) {
        pipeline.getBuffer(storeKeys.sloMinuteRing(PREFIX, target.name, region, slo.thresholdMs));
        pipeline.getBuffer(storeKeys.sloHourRing(PREFIX, target.name, region, slo.thresholdMs));
      }
    for (const [, reply] of (await pipeline.exec()) ?? []) redisBytes += (reply as Buffer | null)?.length ?? 0;
    ms.redisGet += performance.now() - at;
    at = performance.now();
    const { buckets } = await readSloBuckets(
      redis,
      PREFIX,
      chunk.map(({ target, slo }) => ({ target: target.name, regions: target.regions, thresholdMs: slo.thresholdMs })),
      nowMs,
    );
    ms.readSloBuckets += performance.now() - at;
    at = performance.now();
    chunk.forEach(({ target, slo }, n) => {
      reports.push(sloReport({ target: target.name, group: target.group, slo }, buckets[n] ?? {}, nowMs));
    });
    ms.sloReport += performance.now() - at;
    // Two parts of sloReport timed alone, on the same buckets.
    at = performance.now();
    const merged = buckets.map((regions) => mergeBuckets(Object.values(regions)));
    ms.mergeBuckets += performance.now() - at;
    at = performance.now();
    merged.forEach((list, n) => {
      const slo = chunk[n]?.slo;
      if (slo) burnDown(list, slo.objective, slo.windowMs, nowMs);
    });
    ms.burnDown += performance.now() - at;
    bucketsPerRegion ||= Object.values(buckets[0] ?? {})[0]?.length ?? 0;
  }
  let at = performance.now();
  const body: SloReportList = { slos: reports, computedAtMs: nowMs };
  const text = JSON.stringify(body);
  const jsonStringifyMs = performance.now() - at;
  const jsonBytes = Buffer.byteLength(text);
  const burnDownBytes = reports.reduce((n, r) => n + JSON.stringify(r.burnDown).length, 0);
  // decodeSloRing and sliBuckets apart, on one series' rings.
  const first = targetName(0);
  const region = REGIONS[0] as string;
  const minuteBytes = await redis.getBuffer(storeKeys.sloMinuteRing(PREFIX, first, region, THRESHOLD_MS));
  const hourBytes = await redis.getBuffer(storeKeys.sloHourRing(PREFIX, first, region, THRESHOLD_MS));
  const rounds = 2000;
  let sink = 0;
  at = performance.now();
  for (let n = 0; n < rounds; n++)
    sink +=
      decodeSloRing(minuteBytes, SLO_RINGS.minute).counts.length +
      decodeSloRing(hourBytes, SLO_RINGS.hour).counts.length;
  const decodeUs = ((performance.now() - at) * 1000) / rounds;
  const minute = decodeSloRing(minuteBytes, SLO_RINGS.minute);
  const hour = decodeSloRing(hourBytes, SLO_RINGS.hour);
  at = performance.now();
  for (let n = 0; n < rounds; n++) sink += sliBuckets(minute, hour, nowMs).length;
  const sliBucketsUs = ((performance.now() - at) * 1000) / rounds;
  if (sink < 0) process.stderr.write('');
  return {
    note:
      'every report computed (SloService.reports, as a refresh or GET /v1/slo?window= does) and the list ' +
      'stringified, phase by phase, in the bench process after the collector stopped',
    series: subjects.length * REGIONS.length,
    sliBucketsPerRegion: bucketsPerRegion,
    redisGetMs: round(ms.redisGet, 0),
    redisBytes,
    readSloBucketsMs: round(ms.readSloBuckets, 0),
    decodeAndBucketListsMs: round(Math.max(0, ms.readSloBuckets - ms.redisGet), 0),
    decodeSloRingUsPerSeries: round(decodeUs, 1),
    sliBucketsUsPerSeries: round(sliBucketsUs, 1),
    sloReportMs: round(ms.sloReport, 0),
    ofWhichMergeBucketsMs: round(ms.mergeBuckets, 0),
    ofWhichBurnDownMs: round(ms.burnDown, 0),
    jsonStringifyMs: round(jsonStringifyMs, 0),
    jsonBytes,
    burnDownJsonBytes: burnDownBytes,
  };
}

function printTable(result: {
  memory: { sloBytes: number; bytesPerSeries: number };
  collector: { firstRefreshSeconds: number };
  sloList: RequestSummary;
  sloListComputed: RequestSummary;
  sloTarget: RequestSummary;
  metrics: RequestSummary;
}): void {
  const { memory, collector } = result;
  process.stderr.write(
    `SLO rings: ${(memory.sloBytes / 2 ** 20).toFixed(1)} MiB used_memory (${memory.bytesPerSeries} B per target ` +
      `and region); first refresh ${collector.firstRefreshSeconds} s\n`,
  );
  const cells = (name: string, s: RequestSummary) => [
    `${name} (${s.requests})`,
    String(s.headersMsP50),
    String(s.latencyMs.p50),
    String(s.latencyMs.p90),
    String(s.latencyMs.max),
    (s.responseBytes / 2 ** 20).toFixed(2),
    String(s.collectorCpuMsPerRequest),
  ];
  const rows = [
    ['GET', 'headers ms', 'p50 ms', 'p90 ms', 'max ms', 'MiB', 'CPU ms/req'],
    cells('/v1/slo', result.sloList),
    cells('/v1/slo?window=30d', result.sloListComputed),
    cells('/v1/slo/{target}', result.sloTarget),
    cells('/metrics', result.metrics),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  for (const row of rows)
    process.stderr.write(
      `${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')}\n`,
    );
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
