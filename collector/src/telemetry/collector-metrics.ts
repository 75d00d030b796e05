import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { formatDurationMs as formatWindow } from '@synack/shared/config/config-fields';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { handshakeUs } from '@synack/shared/handshake-time';
import type { RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import type { SloReport } from '@synack/shared/wire/slo-report';
import type { DiagnosisRecord } from '../diagnosis/diagnosis-state.ts';
import type { IngestedAttempt } from '../ingest/results-consumer.ts';

/** What the gauges read when scraped: kept fresh by the collector's own loops. */
export type MetricSources = {
  /** Runners whose heartbeat is known, with whether each is live. */
  runners(): Promise<{ heartbeat: RunnerHeartbeat; live: boolean }[]>;
  /** Open diagnoses. */
  diagnoses(): Promise<DiagnosisRecord[]>;
  /** The newest SLO reports (the SLO service's cache; never computed on a scrape). */
  slos(): readonly SloReport[];
};

// Handshake times span loopback (tens of µs) to a 3 s retransmission: seconds, as Prometheus wants.
const DURATION_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** The `target` label of attempts to names not in the config (on-demand probes): one value, so labels stay bounded. */
export const ON_DEMAND_TARGET = 'on-demand';

/**
 * The collector's metrics, through the OpenTelemetry metrics SDK: served as Prometheus text on
 * `/metrics` (the OTel Prometheus exporter's serializer), and pushed over OTLP when an endpoint is
 * configured. Labels are bounded: configured target names, regions, kinds, outcomes, verdicts;
 * never attempt ids, addresses or ports. Counts come from every ingested attempt, whatever traces
 * sample. Spans the export queue dropped are counted by the trace SDK itself on this provider:
 * `otel_sdk_processor_span_processed_total` with an `error_type`.
 */
export class CollectorMetrics {
  readonly meterProvider: MeterProvider;
  private readonly prometheus: PrometheusExporter;
  private readonly serializer = new PrometheusSerializer('', false, undefined, false, true);
  private readonly config: () => SynackConfig;
  private readonly attempts: Counter;
  private readonly duration: Histogram;
  private readonly lag: Histogram;
  private readonly sloAttempts: Counter;
  private readonly sloGood: Counter;
  private readonly sloExcluded: Counter;

  constructor(options: {
    config: () => SynackConfig;
    sources: MetricSources;
    /** OTLP metrics endpoint (…/v1/metrics); none: Prometheus only. */
    otlpMetricsUrl?: string;
    otlpIntervalMs?: number;
    serviceName?: string;
  }) {
    this.config = options.config;
    this.prometheus = new PrometheusExporter({ preventServerStart: true });
    const readers: MetricReader[] = [this.prometheus];
    if (options.otlpMetricsUrl) {
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: options.otlpMetricsUrl }),
          exportIntervalMillis: options.otlpIntervalMs ?? 30_000,
        }),
      );
    }
    // The SDK folds series past 2,000 per instrument into one `otel_metric_overflow` series; the
    // per-target ones need room for every configured target (fixed at start: a config that grows
    // past it overflows until a restart).
    const config = options.config();
    const limit = Math.max(2000, config.targets.length * Math.max(1, config.regions.length) * 2 * 8);
    this.meterProvider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'synack-collector' }),
      readers,
      views: [{ instrumentName: 'synack.*', aggregationCardinalityLimit: limit }],
    });
    const meter = this.meterProvider.getMeter('synack-collector');
    this.attempts = meter.createCounter('synack.attempts', {
      description: 'Handshake attempts ingested, by target, region, probe kind and outcome',
    });
    this.duration = meter.createHistogram('synack.handshake.duration.seconds', {
      description: 'Handshake time of completed attempts, from the first SYN (retransmissions included) to the answer',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.lag = meter.createHistogram('synack.schedule.lag.seconds', {
      description: 'How late scheduled attempts started after they were due',
      unit: 's',
      advice: { explicitBucketBoundaries: LAG_BUCKETS_S },
    });
    this.sloAttempts = meter.createCounter('synack.slo.attempts', {
      description: 'Attempts counted in their target SLO (excluded ones are not)',
    });
    this.sloGood = meter.createCounter('synack.slo.good', {
      description: 'Attempts counted in their target SLO that completed within its threshold',
    });
    this.sloExcluded = meter.createCounter('synack.slo.excluded', {
      description: 'Attempts left out of their target SLO: their runner was failing its self-check',
    });
    this.observeGauges(meter, options.sources);
  }

  /** Counts newly ingested attempts (the results consumer's observer). */
  observe(attempts: readonly IngestedAttempt[]): void {
    const known = this.targetNames();
    for (const a of attempts) {
      const r = a.record;
      const target = known.has(r.target.name) && a.countable ? r.target.name : ON_DEMAND_TARGET;
      this.attempts.add(1, { target, region: a.region, kind: r.kind, outcome: r.outcome });
      // Per region and kind, not per target: 15 buckets for each of 10,000 targets would be most
      // of the scrape (per-target latency is on the dashboard and in /v1/series).
      const tookUs = handshakeUs(r);
      if (tookUs !== null) this.duration.record(tookUs / 1e6, { region: a.region, kind: r.kind });
      if (!a.requestId && a.dueAtMs > 0) {
        const lateMs = Date.parse(r.startedAt) - a.dueAtMs;
        if (lateMs >= 0) this.lag.record(lateMs / 1000, { region: a.region });
      }
      if (a.slo) {
        const sloLabels = { target, region: a.region };
        if (a.slo === 'excluded') this.sloExcluded.add(1, sloLabels);
        else {
          this.sloAttempts.add(1, sloLabels);
          if (a.slo === 'good') this.sloGood.add(1, sloLabels);
        }
      }
    }
  }

  private names: { config: SynackConfig; set: ReadonlySet<string> } | undefined;

  /** The configured target names, rebuilt only when the config object changes. */
  private targetNames(): ReadonlySet<string> {
    const config = this.config();
    if (this.names?.config !== config) this.names = { config, set: new Set(config.targets.map((t) => t.name)) };
    return this.names.set;
  }

  /** The Prometheus text exposition of every metric, for `GET /metrics`. */
  async prometheusText(): Promise<string> {
    const { resourceMetrics } = await this.prometheus.collect();
    return this.serializer.serialize(resourceMetrics);
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
  }

  private observeGauges(meter: Meter, sources: MetricSources): void {
    const runnerUp = meter.createObservableGauge('synack.runner.up', {
      description: '1 while a runner heartbeats, 0 once its heartbeat is stale',
    });
    const rawSyn = meter.createObservableGauge('synack.runner.raw_syn', {
      description: '1 when the runner may open raw sockets (SYN probes need CAP_NET_RAW)',
    });
    const selfCheck = meter.createObservableGauge('synack.runner.self_check', {
      description: '1 when the runner passes its own control probe, 0 when it fails (its attempts leave the SLOs)',
    });
    meter.addBatchObservableCallback(
      async (result) => {
        for (const { heartbeat, live } of await sources.runners()) {
          const labels = { region: heartbeat.region, runner: heartbeat.id };
          result.observe(runnerUp, live ? 1 : 0, labels);
          result.observe(rawSyn, heartbeat.rawSyn ? 1 : 0, labels);
          if (heartbeat.control) result.observe(selfCheck, heartbeat.control.ok ? 1 : 0, labels);
        }
      },
      [runnerUp, rawSyn, selfCheck],
    );
    meter
      .createObservableGauge('synack.diagnosis', {
        description: '1 for each open diagnosis: the verdict synack names for a failing target',
      })
      .addCallback(async (result: ObservableResult<Attributes>) => {
        for (const d of await sources.diagnoses()) {
          if (d.status !== 'open') continue;
          result.observe(1, {
            target: d.target,
            verdict: d.verdict,
            regions: [...d.scope.regions].sort().join(','),
            families: [...d.scope.families].sort().join(','),
          });
        }
      });
    const sli = meter.createObservableGauge('synack.slo.sli', {
      description: 'Share of good attempts over the SLO window (region "all": every region)',
    });
    const objective = meter.createObservableGauge('synack.slo.objective', { description: 'The SLO objective' });
    const budget = meter.createObservableGauge('synack.slo.error_budget_remaining', {
      description: 'Error budget left over the SLO window: 1 untouched, 0 spent, below 0 overspent',
    });
    const burn = meter.createObservableGauge('synack.slo.burn_rate', {
      description: 'How fast the error budget burns over a window (1: exactly spent by the window end)',
    });
    const firing = meter.createObservableGauge('synack.slo.alert_firing', {
      description: '1 while a multi-window burn-rate alert fires',
    });
    meter.addBatchObservableCallback(
      (result) => {
        for (const report of sources.slos()) {
          const target = report.target;
          result.observe(objective, report.objective, { target });
          if (report.overall.ratio !== null) result.observe(sli, report.overall.ratio, { target, region: 'all' });
          for (const [region, w] of Object.entries(report.byRegion))
            if (w.ratio !== null) result.observe(sli, w.ratio, { target, region });
          if (report.budgetRemaining !== null) result.observe(budget, report.budgetRemaining, { target });
          for (const b of report.burnRates)
            if (b.rate !== null) result.observe(burn, b.rate, { target, window: formatWindow(b.windowMs) });
          for (const a of report.alerts)
            result.observe(firing, a.firing ? 1 : 0, {
              target,
              severity: a.severity,
              windows: `${formatWindow(a.longMs)}/${formatWindow(a.shortMs)}`,
            });
        }
      },
      [sli, objective, budget, burn, firing],
    );
  }
}
