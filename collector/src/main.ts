import { type ServerType, serve } from '@hono/node-server';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { probeOnDemand } from '@synack/scheduler/on-demand-probe';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { onDemandQueueName } from '@synack/shared/wire/queue-names';
import { liveRunners, RUNNER_TTL_MS, runnerHeartbeatSchema, runnersKey } from '@synack/shared/wire/runner-heartbeat';
import type { JobSigner } from '@synack/shared/wire/signed-job';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { agentIntake } from './agents/agent-intake.ts';
import { createApp } from './api/create-app.ts';
import { mountOpenApi } from './api/openapi-document.ts';
import { mountProbeRoutes } from './api/probe-routes.ts';
import { redisReads } from './api/redis-reads.ts';
import { mountSloRoutes } from './api/slo-routes.ts';
import { mountSlackRoutes } from './chat/slack-routes.ts';
import { readSlackSecret } from './chat/slack-secret.ts';
import { mountDashboard } from './dashboard/mount-dashboard.ts';
import { DiagnosisService } from './diagnosis/diagnosis-service.ts';
import { PathTracer } from './diagnosis/path-tracer.ts';
import { ResultsConsumer } from './ingest/results-consumer.ts';
import { AuditLog } from './probes/audit-log.ts';
import { ProbeService } from './probes/probe-service.ts';
import { RateGate } from './probes/rate-gate.ts';
import { hostResolver } from './probes/resolve-host.ts';
import { sendAlert } from './slo/alert-sender.ts';
import { SloService } from './slo/slo-service.ts';
import { readSeries } from './store/read-series.ts';
import { AttemptTracer } from './telemetry/attempt-tracer.ts';
import { CollectorMetrics } from './telemetry/collector-metrics.ts';
import { DerivedIdGenerator, requestSpanIds } from './telemetry/request-ids.ts';
import { RedisRequestStore } from './telemetry/request-store.ts';
import { summarizeDiagnosis } from './telemetry/summarize-diagnosis.ts';

/** Where traces and OTLP metrics go, and how many successes are traced. */
export type TelemetryOptions = {
  /** OTLP/HTTP base (OTEL_EXPORTER_OTLP_ENDPOINT); `/v1/traces` and `/v1/metrics` are added. None: no export. */
  otlpEndpoint?: string;
  /** Share of successful scheduled attempts traced, 0..1. Default 0.01. */
  successSampleRatio?: number;
  /** How long a failed attempt's span waits for its diagnosis. Default 15 s. */
  diagnosisWaitMs?: number;
  /** How often SLOs are recomputed and their alerts evaluated. Default 30 s. */
  sloRefreshMs?: number;
  /** How often metrics are pushed over OTLP. Default 30 s. */
  otlpMetricsIntervalMs?: number;
};

// A backend that is down must not hold a stopping collector for a retry per queued batch.
const SHUTDOWN_EXPORT_MS = 5000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export type CollectorHandle = {
  consumer: ResultsConsumer;
  diagnosis: DiagnosisService;
  slo: SloService;
  metrics: CollectorMetrics;
  tracer: AttemptTracer | undefined;
  /** The address the API listens on (port resolved when 0 was asked). */
  url: string;
  setConfig(config: SynackConfig): void;
  stop(): Promise<void>;
};

/**
 * The collector's composition root: the results consumer and the HTTP API on `listen`.
 * Resolves once the API is listening.
 */
export async function startCollector(options: {
  config: SynackConfig;
  connection: Redis | Cluster;
  redis: Redis | Cluster;
  listen: { hostname: string; port: number };
  logger: Logger;
  telemetry?: TelemetryOptions;
  /** Signs the on-demand jobs it puts on runners' queues (traceroutes, chat and API probes). */
  signer: JobSigner;
}): Promise<CollectorHandle> {
  let config = options.config;
  // Read now, so that an unreadable secret file stops the collector before it listens.
  let slackSecret = readSlackSecret(config);
  const telemetry = options.telemetry ?? {};
  const otlp = telemetry.otlpEndpoint?.replace(/\/+$/, '');
  const slo = new SloService({
    config: () => config,
    redis: options.redis,
    logger: options.logger,
    // Delivered when at least one sink took it; with no sink configured there is nothing to retry.
    notify: async (transition) => {
      if (config.alerts.length === 0) return true;
      return (await sendAlert(config.alerts, transition, options.logger)).sent > 0;
    },
    ...(telemetry.sloRefreshMs ? { refreshMs: telemetry.sloRefreshMs } : {}),
  });
  // Read on scrapes: the diagnoses are a small hash; the runners' heartbeats one more.
  let diagnosisStore: DiagnosisService['store'] | undefined;
  const metrics = new CollectorMetrics({
    config: () => config,
    ...(otlp ? { otlpMetricsUrl: `${otlp}/v1/metrics` } : {}),
    ...(telemetry.otlpMetricsIntervalMs ? { otlpIntervalMs: telemetry.otlpMetricsIntervalMs } : {}),
    sources: {
      runners: async () => {
        const raw = await options.redis.hgetall(runnersKey(config.prefix));
        const live = new Set(liveRunners(raw, Date.now()).map((r) => r.id));
        return Object.values(raw).flatMap((text) => {
          const beat = runnerHeartbeatSchema.safeParse(safeJson(text));
          // Runners gone for more than a few heartbeats drop out rather than linger as 0 forever.
          if (!beat.success || Date.now() - beat.data.seenAtMs > 4 * RUNNER_TTL_MS) return [];
          return [{ heartbeat: beat.data, live: live.has(beat.data.id) }];
        });
      },
      diagnoses: async () => (diagnosisStore ? (await diagnosisStore.all()).filter((d) => d.status === 'open') : []),
      slos: () => slo.cached,
    },
  });
  // Spans look their target up by name: a map, rebuilt when the config changes.
  let byName: { config: SynackConfig; map: Map<string, SynackConfig['targets'][number]> } | undefined;
  const targetsByName = () => {
    if (byName?.config !== config) byName = { config, map: new Map(config.targets.map((t) => [t.name, t])) };
    return byName.map;
  };
  let traceProvider: TracerProvider | undefined;
  let tracer: AttemptTracer | undefined;
  if (otlp) {
    const ids = new DerivedIdGenerator();
    traceProvider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'synack-collector' }),
      idGenerator: ids,
      spanProcessors: [
        // Bounded: past 8,192 queued spans new ones are dropped and counted
        // (otel_sdk_processor_span_processed_total{error_type="queue_full"}), never buffered without end.
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${otlp}/v1/traces` }),
          maxQueueSize: 8192,
          maxExportBatchSize: 512,
          scheduledDelayMillis: 1000,
          selfObsMeterProvider: metrics.meterProvider,
        }),
      ],
    });
    tracer = new AttemptTracer({
      provider: traceProvider,
      ids,
      successSampleRatio: telemetry.successSampleRatio ?? 0.01,
      ...(telemetry.diagnosisWaitMs ? { diagnosisWaitMs: telemetry.diagnosisWaitMs } : {}),
      diagnosisOf: async (target) => {
        const current = diagnosisStore ? await diagnosisStore.current(target) : null;
        return current?.status === 'open'
          ? {
              verdict: current.verdict,
              summary: summarizeDiagnosis(current),
              updatedAtMs: current.updatedAtMs,
              scope: current.scope,
            }
          : null;
      },
      targetOf: (name) => {
        const target = targetsByName().get(name);
        return target ? { timeoutMs: target.timeoutMs, address: target.address } : { timeoutMs: 3000 };
      },
      // Of several collectors handling parts of one on-demand request, one sends its parent span.
      requestStore: new RedisRequestStore(options.redis, () => config.prefix),
      claim: async (key) =>
        (await options.redis.set(`${config.prefix}:span-claim:${key}`, '1', 'EX', 3600, 'NX')) === 'OK',
      onError: (error) => options.logger.warn({ err: error.message }, 'attempt span failed'),
    });
  }
  const consumer = new ResultsConsumer({
    config: () => config,
    connection: options.connection,
    redis: options.redis,
    logger: options.logger,
    observe: (attempts) => {
      metrics.observe(attempts);
      tracer?.observe(attempts);
    },
  });
  // On-demand queues to the regions' runners, for traceroutes; made when first needed.
  const queues = new Map<string, Queue>();
  const queueFor = (region: string) => {
    let queue = queues.get(region);
    if (!queue) {
      queue = new Queue(onDemandQueueName(region), { connection: options.redis, prefix: config.prefix });
      queues.set(region, queue);
    }
    return queue;
  };
  const pathTracer = new PathTracer({
    redis: options.redis,
    prefix: () => config.prefix,
    queueFor,
    signer: options.signer,
    logger: options.logger,
  });
  const diagnosis = new DiagnosisService({
    config: () => config,
    redis: options.redis,
    logger: options.logger,
    tracer: pathTracer,
  });
  diagnosisStore = diagnosis.store;
  const reads = redisReads({
    redis: options.redis,
    prefix: () => config.prefix,
    historyPerSeries: () => config.collector.historyPerSeries,
    counters: () => ({ ingested: consumer.stats.ingested, rejected: consumer.rejectedTotal }),
    diagnoses: diagnosis.store,
  });
  const audit = new AuditLog(options.redis, () => config.prefix, options.logger.child({ component: 'audit' }));
  const probes = new ProbeService({
    config: () => config,
    redis: options.redis,
    liveRegions: async () =>
      new Set(liveRunners(await options.redis.hgetall(runnersKey(config.prefix)), Date.now()).map((r) => r.region)),
    run: (request) =>
      probeOnDemand({ redis: options.redis, prefix: config.prefix, queueFor, signer: options.signer }, request),
    diagnosisOf: (target) => diagnosis.store.current(target),
    resolve: hostResolver(),
    rates: new RateGate(options.redis, () => config.prefix),
    audit,
    traceIdOf: (requestId) => (tracer ? requestSpanIds(requestId).traceId : null),
    logger: options.logger,
  });
  const app = createApp(
    reads,
    options.logger,
    agentIntake({ config: () => config, redis: options.redis, snapshots: diagnosis.snapshots }),
    { tokens: () => config.api.tokens, audit },
  );
  mountProbeRoutes(app, probes, audit);
  const slack = mountSlackRoutes(app, {
    config: () => config,
    secret: () => slackSecret,
    redis: options.redis,
    probes,
    reads: {
      targets: () => reads.targets(),
      diagnosis: (target) => diagnosis.store.current(target),
      slo: async (target) => (await slo.reports({ target }))[0] ?? null,
    },
    audit,
    logger: options.logger.child({ component: 'slack' }),
  });
  mountOpenApi(app);
  mountSloRoutes(app, {
    // The default report is the SLO service's latest when fresh; other windows are computed.
    reports: (query) =>
      query.target === undefined && query.windowMs === undefined
        ? slo.current((telemetry.sloRefreshMs ?? 30_000) + 5000).then((r) => [...r])
        : slo.reports(query),
    specs: () =>
      config.targets.flatMap((t) =>
        t.slo
          ? [
              {
                target: t.name,
                group: t.group,
                objective: t.slo.objective,
                windowMs: t.slo.windowMs,
                thresholdMs: t.slo.thresholdMs,
                alerts: t.slo.burnAlerts,
              },
            ]
          : [],
      ),
    prometheusText: () => metrics.prometheusText(),
  });
  mountDashboard(app, {
    series: (target, windowMs) => readSeries(options.redis, config.prefix, target, windowMs, Date.now()),
  });
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.listen.hostname, port: options.listen.port }, (info) =>
      resolve({ server: s, port: info.port }),
    );
    s.once('error', reject);
  });
  // Only once the API listens: a port in use must not leave a headless consumer running.
  consumer.start();
  diagnosis.start();
  slo.start();
  tracer?.start();
  const host = options.listen.hostname.includes(':') ? `[${options.listen.hostname}]` : options.listen.hostname;
  const url = `http://${host}:${port}`;
  options.logger.info(
    {
      url,
      apiTokens: config.api.tokens.length,
      slackCommand: slackSecret === null ? 'off (no signing secret)' : 'on',
    },
    'collector API listening',
  );
  if (config.api.tokens.length === 0)
    options.logger.warn('no API tokens configured: read routes are open, on-demand probes over HTTP are off');
  return {
    consumer,
    diagnosis,
    slo,
    metrics,
    tracer,
    url,
    setConfig(next) {
      slackSecret = readSlackSecret(next);
      config = next;
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Probes under way get a few seconds to end and be posted to Slack; past that, their reports
      // turn `abandoned` and the requester is not left hanging on a stopping collector.
      await Promise.race([Promise.all([probes.drain(), slack.drain()]), sleep(SHUTDOWN_EXPORT_MS)]);
      await consumer.stop();
      await diagnosis.stop();
      await slo.stop();
      // Held spans go out now, then the queue is flushed; a backend that is down costs at most
      // the exporter's timeout here, never a hang.
      await tracer?.stop();
      if (traceProvider) {
        const shutdown = traceProvider.shutdown().then(
          () => 'done',
          (error: unknown) => String(error),
        );
        const bounded = await Promise.race([shutdown, sleep(SHUTDOWN_EXPORT_MS).then(() => 'timeout')]);
        if (bounded !== 'done') options.logger.warn({ err: bounded }, 'spans not all exported at shutdown');
      }
      await Promise.race([metrics.shutdown().catch(() => undefined), sleep(SHUTDOWN_EXPORT_MS)]);
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
