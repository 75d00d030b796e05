// The collector's telemetry cost: spans exported per second over OTLP/HTTP protobuf to a real
// receiver, and CPU per 1,000 attempts for metrics alone, metrics + traces at the default 1 %
// success sampling, and metrics + every attempt traced. The code measured is the collector's own:
// `CollectorMetrics.observe` and `AttemptTracer.observe` over a TracerProvider with the
// BatchSpanProcessor and OTLPTraceExporter settings of collector/src/main.ts, called with batches
// of `IngestedAttempt`s as the results consumer calls its observer (after Redis, which is not
// measured here).
//
// Processes: this script (role main) runs each mode in a fresh child (role load: the collector
// side, whose own `process.cpuUsage()` and peak RSS are reported), and each load child starts the
// receiver (test/src/support/otlp-receiver.ts, role receiver) in a child of its own, so that
// protobuf decoding is not counted against the collector. Spans are counted as the receiver
// decoded them. The feed is closed-loop: a batch waits while created-but-undelivered spans (plus
// failed spans held for a diagnosis) would overflow the processor's 8,192-span queue, so with
// every attempt traced the delivered rate is the most this pipeline sustains without dropping
// (with 1% sampling it follows the feed); the SDK's own drop counter
// (`otel_sdk_processor_span_processed_total{error_type="queue_full"}`) is read to confirm.
// Targets: --targets (10,000) × 3 regions, each with an SLO, as the collector's config holds them.
//
// Failures (--failure-ratio of attempts) are held by AttemptTracer for a diagnosis; here
// `diagnosisOf` answers null at once and `diagnosisWaitMs` is 100 ms, so they go out on the
// tracer's next poll (every second) and the rest on `stop()`, before the final flush.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { IngestedAttempt } from '@synack/collector/ingest/results-consumer';
import { AttemptTracer } from '@synack/collector/telemetry/attempt-tracer';
import { CollectorMetrics } from '@synack/collector/telemetry/collector-metrics';
import { DerivedIdGenerator } from '@synack/collector/telemetry/request-ids';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import { parseConfig } from '@synack/shared/config/parse-config';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { startOtlpReceiver } from '../../test/src/support/otlp-receiver.ts';

// targetOf looks targets up by name in a map, as main.ts does.
const MODES = {
  metrics: { tracing: false, successSampleRatio: 0, label: 'metrics only' },
  sampled: { tracing: true, successSampleRatio: 0.01, label: 'metrics + traces, 1% of successes' },
  all: { tracing: true, successSampleRatio: 1, label: 'metrics + traces, every attempt' },
} as const;
type Mode = keyof typeof MODES;

// collector/src/main.ts
const MAX_QUEUE_SIZE = 8192;
const MAX_EXPORT_BATCH_SIZE = 512;
const SCHEDULED_DELAY_MS = 1000;
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    mode: { type: 'string', default: 'all' },
    modes: { type: 'string', default: 'metrics,sampled,all' },
    attempts: { type: 'string', default: '200000' },
    seconds: { type: 'string', default: '60' },
    batch: { type: 'string', default: '100' },
    targets: { type: 'string', default: '10000' },
    pool: { type: 'string', default: '30000' },
    'failure-ratio': { type: 'string', default: '0.1' },
    'drain-timeout': { type: 'string', default: '60' },
    out: { type: 'string' },
  },
});

type ReceiverCount = { spans: number; requests: number; rejected: number; refused: number; cpuSeconds: number };

/** What one load child reports. */
type ModeResult = {
  mode: Mode;
  label: string;
  successSampleRatio: number;
  attempts: number;
  feedSeconds: number;
  /** From the first batch until every span was handed to the exporter (the CPU measurement's span). */
  flushedSeconds: number;
  cpuSeconds: number;
  cpuUsPerAttempt: number;
  cpuSecondsPer1000Attempts: number;
  peakRssMiB: number;
  /** After the config and the attempt pool were built, before the first batch. */
  rssBeforeFeedMiB: number;
  spans: {
    created: number;
    delivered: number;
    deliveredPerSecond: number | null;
    deliveredRatio: number | null;
    droppedQueueFull: number;
    exportFailed: number;
    sampledOut: number;
    diagnosisTimeouts: number;
    pendingOverflow: number;
    receiverRequests: number;
    receiverRejected: number;
    receiverCpuSeconds: number;
  } | null;
  backpressureWaits: number;
};

if (values.role === 'receiver') await receiverRole();
else if (values.role === 'load') await loadRole(values.mode as Mode);
else await mainRole();

async function mainRole(): Promise<void> {
  if (!values.out) throw new TypeError('usage: telemetry-export.ts --out FILE [--attempts N] [--seconds S]');
  const modes = (values.modes ?? '').split(',').filter(Boolean) as Mode[];
  for (const mode of modes) if (!(mode in MODES)) throw new RangeError(`--modes: unknown mode "${mode}"`);
  const startedAt = new Date();
  const results: ModeResult[] = [];
  for (const mode of modes) {
    process.stderr.write(`telemetry-export: ${MODES[mode].label}...\n`);
    results.push(await runChild<ModeResult>(['--role', 'load', '--mode', mode, ...passThrough()]));
  }
  const result = {
    bench: 'telemetry-export',
    at: startedAt.toISOString(),
    node: process.version,
    targets: Number(values.targets),
    regions: REGIONS.length,
    failureRatio: Number(values['failure-ratio']),
    observerBatch: Number(values.batch),
    batchSpanProcessor: {
      maxQueueSize: MAX_QUEUE_SIZE,
      maxExportBatchSize: MAX_EXPORT_BATCH_SIZE,
      scheduledDelayMillis: SCHEDULED_DELAY_MS,
    },
    diagnosis: { diagnosisWaitMs: 100, diagnosisOf: 'null at once' },
    modes: results,
  };
  const json = JSON.stringify(result, null, 2);
  await mkdir(dirname(values.out), { recursive: true });
  await writeFile(values.out, `${json}\n`);
  printTable(results);
  process.stdout.write(`${json}\n`);
}

function passThrough(): string[] {
  return ['attempts', 'seconds', 'batch', 'targets', 'pool', 'failure-ratio', 'drain-timeout'].flatMap((name) => [
    `--${name}`,
    String(values[name as keyof typeof values]),
  ]);
}

/** Runs this script in a child with `args` and resolves with the one message it sends. */
function runChild<T>(args: string[]): Promise<T> {
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    child.on('message', (message) => {
      result = message as T;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`load child exited with ${code ?? signal} and ${result ? 'a' : 'no'} result`));
    });
  });
}

async function receiverRole(): Promise<void> {
  const receiver = await startOtlpReceiver();
  let spans = 0;
  // Counted and forgotten, so 200,000 decoded spans are never held at once.
  const drain = () => {
    spans += receiver.spans().length;
    receiver.clear();
  };
  const timer = setInterval(drain, 100);
  process.on('message', () => {
    drain();
    const cpu = process.cpuUsage();
    const count: ReceiverCount = {
      spans,
      requests: receiver.requests,
      rejected: receiver.rejected,
      refused: receiver.refused,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
    process.send?.(count);
  });
  process.once('disconnect', () => {
    clearInterval(timer);
    void receiver.close();
  });
  process.send?.({ url: receiver.url });
}

/** The receiver child: its URL, and its count on request (one request at a time). */
async function startReceiverChild(): Promise<{
  url: string;
  count(): Promise<ReceiverCount>;
  stop(): Promise<void>;
}> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--role', 'receiver'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      const onExit = () => reject(new Error('OTLP receiver child exited'));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });
  const { url } = (await next()) as { url: string };
  return {
    url,
    async count() {
      const reply = next();
      child.send('count');
      return (await reply) as ReceiverCount;
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      await exited;
    },
  };
}

async function loadRole(mode: Mode): Promise<void> {
  const spec = MODES[mode];
  const attempts = Number(values.attempts);
  const feedLimitMs = Number(values.seconds) * 1000;
  const batchSize = Number(values.batch);
  const config = buildConfig(Number(values.targets));
  const pool = attemptPool(config, Number(values.pool), Number(values['failure-ratio']));

  const metrics = new CollectorMetrics({
    config: () => config,
    sources: { runners: async () => [], diagnoses: async () => [], slos: () => [] },
  });
  let spanErrors = 0;
  const byName = new Map(config.targets.map((t) => [t.name, { timeoutMs: t.timeoutMs, address: t.address }]));
  const receiver = spec.tracing ? await startReceiverChild() : undefined;
  let provider: TracerProvider | undefined;
  let tracer: AttemptTracer | undefined;
  if (receiver) {
    // As collector/src/main.ts builds them.
    const ids = new DerivedIdGenerator();
    provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'synack-collector' }),
      idGenerator: ids,
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }),
          maxQueueSize: MAX_QUEUE_SIZE,
          maxExportBatchSize: MAX_EXPORT_BATCH_SIZE,
          scheduledDelayMillis: SCHEDULED_DELAY_MS,
          selfObsMeterProvider: metrics.meterProvider,
        }),
      ],
    });
    tracer = new AttemptTracer({
      provider,
      ids,
      successSampleRatio: spec.successSampleRatio,
      diagnosisWaitMs: 100,
      diagnosisOf: async () => null,
      targetOf: (name) => byName.get(name) ?? { timeoutMs: 3000 },
      // Counted; any makes the run fail (the collector's API may have moved under the bench).
      onError: (error) => {
        if (spanErrors++ === 0) process.stderr.write(`attempt span failed: ${error.message}\n`);
      },
    });
  }
  let delivered = 0;
  let lastDeliveredMs = 0;
  let backpressureWaits = 0;
  const refresh = async () => {
    if (!receiver) return;
    const count = await receiver.count();
    if (count.spans > delivered) lastDeliveredMs = performance.now();
    delivered = count.spans;
  };
  const rssBeforeFeedMiB = round(process.memoryUsage().rss / 2 ** 20, 1);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  tracer?.start();
  let fed = 0;
  while (fed < attempts && performance.now() - start < feedLimitMs) {
    const size = Math.min(batchSize, attempts - fed);
    if (tracer) {
      // Closed loop: never more spans in flight (queued, being exported or held) than the queue holds.
      while (tracer.stats.spans + tracer.pendingSpans - delivered + size > MAX_QUEUE_SIZE) {
        backpressureWaits++;
        await refresh();
        if (tracer.stats.spans + tracer.pendingSpans - delivered + size > MAX_QUEUE_SIZE) await sleep(2);
      }
    }
    const batch: IngestedAttempt[] = [];
    for (let n = 0; n < size; n++) batch.push(pool[(fed + n) % pool.length] as IngestedAttempt);
    metrics.observe(batch);
    tracer?.observe(batch);
    fed += size;
    // The results consumer's batches come from Redis: the event loop turns between them.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const feedSeconds = (performance.now() - start) / 1000;
  await tracer?.stop();
  await provider?.forceFlush();
  // Every span is created and handed to the exporter by now: the collector's side is done.
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const flushedSeconds = (performance.now() - start) / 1000;
  // Drops happen only when a span is queued, so the counts are final; an export the timer had
  // started before the flush may still be on its way to the receiver.
  const counts = sdkCounts(await metrics.prometheusText());
  if (tracer && receiver) {
    const deadline = performance.now() + Number(values['drain-timeout']) * 1000;
    await refresh();
    while (delivered < tracer.stats.spans - counts.dropped - counts.failed && performance.now() < deadline) {
      await sleep(20);
      await refresh();
    }
    if (delivered < tracer.stats.spans - counts.dropped - counts.failed)
      process.stderr.write(`telemetry-export: ${mode}: the receiver has ${delivered} spans after the timeout\n`);
  }
  const receiverCount = receiver ? await receiver.count() : undefined;
  const deliveredSeconds = (lastDeliveredMs - start) / 1000;
  const result: ModeResult = {
    mode,
    label: spec.label,
    successSampleRatio: spec.successSampleRatio,
    attempts: fed,
    feedSeconds: round(feedSeconds, 2),
    flushedSeconds: round(flushedSeconds, 2),
    cpuSeconds: round(cpuSeconds, 3),
    cpuUsPerAttempt: round((cpuSeconds * 1e6) / fed, 2),
    cpuSecondsPer1000Attempts: round((cpuSeconds * 1000) / fed, 4),
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    rssBeforeFeedMiB,
    spans:
      tracer && receiverCount
        ? {
            created: tracer.stats.spans,
            delivered: receiverCount.spans,
            deliveredPerSecond: deliveredSeconds > 0 ? Math.round(receiverCount.spans / deliveredSeconds) : null,
            deliveredRatio: tracer.stats.spans > 0 ? round(receiverCount.spans / tracer.stats.spans, 4) : null,
            droppedQueueFull: counts.dropped,
            exportFailed: counts.failed,
            sampledOut: tracer.stats.sampledOut,
            diagnosisTimeouts: tracer.stats.diagnosisTimeouts,
            pendingOverflow: tracer.stats.pendingOverflow,
            receiverRequests: receiverCount.requests,
            receiverRejected: receiverCount.rejected + receiverCount.refused,
            receiverCpuSeconds: round(receiverCount.cpuSeconds, 2),
          }
        : null,
    backpressureWaits,
  };
  await provider?.shutdown();
  await metrics.shutdown();
  await receiver?.stop();
  if (spanErrors > 0) throw new Error(`${mode}: ${spanErrors} attempt spans failed`);
  process.send?.(result);
  process.disconnect?.();
}

/** Spans the SDK dropped (queue full) and failed to export, from its self-observability counter. */
function sdkCounts(text: string): { dropped: number; failed: number } {
  let dropped = 0;
  let failed = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('otel_sdk_processor_span_processed_total{')) continue;
    const error = /error_type="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (error === 'queue_full') dropped += value;
    else if (error) failed += value;
  }
  return { dropped, failed };
}

function targetName(n: number): string {
  return `t-${String(n).padStart(5, '0')}`;
}

/** `targets` targets probed from every region, with an SLO (so the SLO counters count too). */
function buildConfig(targets: number): SynackConfig {
  const lines = [
    'redis: redis://127.0.0.1:6379',
    'prefix: bench',
    `regions: [${REGIONS.join(', ')}]`,
    'allow: [{ cidr: 198.18.0.0/15, ports: "443" }]',
    'defaults: { interval: 10s, timeout: 3s, slo: { objective: 99.9%, threshold: 500ms } }',
    'targets:',
  ];
  for (let n = 0; n < targets; n++)
    lines.push(`  - { name: ${targetName(n)}, address: 198.18.${n >> 8}.${n & 255}, port: 443 }`);
  const parsed = parseConfig(`${lines.join('\n')}\n`, 'telemetry-export.yaml', {});
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.line}: ${i.path}: ${i.message}`).join('\n'));
  return parsed.config;
}

/**
 * `size` distinct attempts over the config's targets and regions, syn and connect alike, a
 * `failureRatio` share failed (timeouts, RSTs, refusals, ICMP), the rest answered in 1-150 ms.
 * Ids are random UUIDs (their first 32 bits decide sampling).
 */
function attemptPool(config: SynackConfig, size: number, failureRatio: number): IngestedAttempt[] {
  const nowMs = Date.now();
  const runners = REGIONS.map((region) => `${region}-runner-1`);
  return Array.from({ length: size }, (_, n) => {
    const target = config.targets[n % config.targets.length];
    if (!target) throw new RangeError('no targets');
    const regionIndex = Math.floor(n / config.targets.length) % REGIONS.length;
    const region = REGIONS[regionIndex] as string;
    const kind = Math.floor(n / (config.targets.length * REGIONS.length)) % 2 === 0 ? 'syn' : 'connect';
    const failed = ((Math.imul(n + 1, 2654435761) >>> 0) / 2 ** 32) % 1 < failureRatio;
    const dueAtMs = nowMs - 60_000 + (n % 60_000);
    const record = attemptRecord(kind, n, target.name, target.address, dueAtMs + (n % 7), failed);
    const answeredOk = !failed && record.rttUs !== null && record.rttUs <= 500_000;
    return {
      record,
      region,
      runnerId: runners[regionIndex] as string,
      dueAtMs,
      countable: true,
      slo: answeredOk ? 'good' : 'bad',
    };
  });
}

function attemptRecord(
  kind: 'syn' | 'connect',
  n: number,
  name: string,
  address: string,
  startedAtMs: number,
  failed: boolean,
): AttemptRecord {
  const base = {
    v: 1 as const,
    id: randomUUID(),
    target: { name, address, port: 443, family: 'v4' as const },
    source: { address: '198.51.100.7', port: 40_000 + (n % 20_000) },
    startedAt: new Date(startedAtMs).toISOString(),
  };
  const rttUs = 1_000 + ((n * 7919) % 149_000);
  if (!failed) {
    if (kind === 'syn')
      return {
        ...base,
        kind,
        synSentUs: [35],
        answerUs: 35 + rttUs,
        rttUs,
        retransmits: 0,
        outcome: 'synack',
        answeredSyn: 0,
        synack: { window: 65_160, ttl: 57, mss: 1_460, windowScale: 7, sackPermitted: true, timestamps: true },
      };
    return { ...base, kind, synSentUs: [40], answerUs: 40 + rttUs, rttUs, retransmits: 0, outcome: 'established' };
  }
  const failure = n % 3;
  if (kind === 'syn') {
    if (failure === 0)
      return {
        ...base,
        kind,
        synSentUs: [35, 1_000_035, 3_000_035],
        answerUs: null,
        rttUs: null,
        retransmits: 2,
        outcome: 'timeout',
        answeredSyn: null,
      };
    if (failure === 1)
      return {
        ...base,
        kind,
        synSentUs: [35],
        answerUs: 35 + rttUs,
        rttUs,
        retransmits: 0,
        outcome: 'rst',
        answeredSyn: 0,
      };
    return {
      ...base,
      kind,
      synSentUs: [35],
      answerUs: 35 + rttUs,
      rttUs,
      retransmits: 0,
      outcome: 'icmp',
      answeredSyn: null,
      icmp: { type: 3, code: 13, from: '203.0.113.1', meaning: 'admin_prohibited' },
    };
  }
  if (failure === 0)
    return { ...base, kind, synSentUs: [40], answerUs: null, rttUs: null, retransmits: 1, outcome: 'timeout' };
  if (failure === 1)
    return { ...base, kind, synSentUs: [40], answerUs: 40 + rttUs, rttUs, retransmits: 0, outcome: 'refused' };
  return {
    ...base,
    kind,
    synSentUs: [40],
    answerUs: 40 + rttUs,
    rttUs,
    retransmits: 0,
    outcome: 'unreachable',
    error: { code: 'EHOSTUNREACH', message: 'no route to host' },
  };
}

function printTable(results: readonly ModeResult[]): void {
  const rows = [
    ['mode', 'attempts', 'CPU s/1,000', 'µs/attempt', 'peak RSS MiB', 'spans delivered/created', 'spans/s', 'dropped'],
    ...results.map((r) => [
      r.label,
      String(r.attempts),
      r.cpuSecondsPer1000Attempts.toFixed(4),
      r.cpuUsPerAttempt.toFixed(1),
      r.peakRssMiB.toFixed(0),
      r.spans ? `${r.spans.delivered}/${r.spans.created}` : '-',
      r.spans?.deliveredPerSecond ? String(r.spans.deliveredPerSecond) : '-',
      r.spans ? String(r.spans.droppedQueueFull) : '-',
    ]),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  for (const row of rows) process.stderr.write(`${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
