import { createHash } from 'node:crypto';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { handshakeUs } from '@synack/shared/handshake-time';
import type { Logger } from '@synack/shared/logger';
import { isAnswered } from '@synack/shared/probe-outcome';
import { attemptRecordSchema } from '@synack/shared/wire/attempt-record-schema';
import { RESULTS_QUEUE } from '@synack/shared/wire/queue-names';
import { onDemandExtrasSchema, resultBatchSchema, selfCheckSchema } from '@synack/shared/wire/result-message';
import { runnerHeartbeatSchema, runnersKey } from '@synack/shared/wire/runner-heartbeat';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { type IngestInput, ingestBatch, ingestCommandArgs, type SloState } from '../store/ingest-script.ts';
import { updateFailing } from './failing-set.ts';

// Duplicates come from a probe job redone by a second runner after the first died (within the
// BullMQ lock time) or a batch sent again after a failed send (seconds): ten minutes of ids covers
// both, and keeps the id keys to a few hundred MB at 3,000 attempts/s, where a week would be 90 GB.
const ID_TTL_S = 600;

/** The dedup key of a result id: short (16 base64url chars of SHA-256), as there are millions. */
export function dedupId(resultId: string): string {
  return createHash('sha256').update(resultId).digest('base64url').slice(0, 16);
}

// What a runner refused to do is not a measurement of the target: it goes to the history, for
// people to see, but not into the aggregates or the failing set.
const REFUSALS = new Set(['SYNACK_ERR_NOT_ALLOWED', 'SYNACK_ERR_RATE_LIMITED', 'SYNACK_ERR_RAW_SOCKET_DENIED']);

/** One attempt ingested for the first time, as the metrics and traces see it. */
export type IngestedAttempt = {
  record: AttemptRecord;
  region: string;
  runnerId: string;
  dueAtMs: number;
  /** Set for an on-demand probe: the request it answers, its timeout and its source-port spread. */
  requestId?: string;
  timeoutMs?: number;
  sourcePorts?: number;
  /** Counted in the aggregates (not on demand, not refused by the runner). */
  countable: boolean;
  /** How it counts in its target's SLO; absent when the target has none. */
  slo?: SloState;
};

/** Told of each batch's newly ingested attempts (never of duplicates), after they are stored. */
export type AttemptObserver = (attempts: readonly IngestedAttempt[]) => void;

// How long a runner's self-check state read from its heartbeat is reused.
const RUNNER_HEALTH_TTL_MS = 5000;

/** Why an item or a batch was not ingested; each is counted and logged. */
export type RejectReason = 'bad_batch' | 'bad_record' | 'unknown_region' | 'future';

export type ResultsConsumerOptions = {
  config: () => SynackConfig;
  /** For BullMQ: `maxRetriesPerRequest: null`. */
  connection: Redis | Cluster;
  redis: Redis | Cluster;
  logger: Logger;
  now?: () => number;
  /** Result batches worked on at once. Default 4. */
  concurrency?: number;
  observe?: AttemptObserver;
};

/**
 * Consumes the results queue: checks each batch and each record against its schema, and ingests
 * the good ones idempotently (aggregates, history, latest state; ids de-duplicated in Redis, so a
 * batch delivered twice or an attempt repeated by a second runner counts once). A bad batch or
 * record is counted, logged with its reason, and never stops the others. It also keeps the set of
 * failing targets that the scheduler probes faster.
 */
export class ResultsConsumer {
  readonly stats = {
    batches: 0,
    ingested: 0,
    duplicates: 0,
    failedBatches: 0,
    rejected: {} as Record<RejectReason, number>,
  };
  private readonly options: ResultsConsumerOptions;
  private worker: Worker | undefined;
  private readonly runnerHealth = new Map<string, { ok: boolean; atMs: number; readMs: number }>();

  constructor(options: ResultsConsumerOptions) {
    this.options = options;
  }

  get rejectedTotal(): number {
    return Object.values(this.stats.rejected).reduce((a, b) => a + b, 0);
  }

  start(): void {
    const { connection, logger } = this.options;
    this.worker = new Worker(RESULTS_QUEUE, (job) => this.process(job), {
      connection,
      prefix: this.options.config().prefix,
      concurrency: this.options.concurrency ?? 4,
      // Redis trouble (OOM, a fail-over) is retried for as long as it lasts, at most 30 s apart.
      settings: { backoffStrategy: (attemptsMade: number) => Math.min(30_000, 500 * 2 ** attemptsMade) },
    });
    this.worker.on('error', (error) => logger.warn({ err: error.message }, 'results worker error'));
    this.worker.on('failed', (job, error) => {
      this.stats.failedBatches++;
      logger.error({ job: job?.id, attempts: job?.attemptsMade, err: error.message }, 'result batch failed');
    });
  }

  async stop(): Promise<void> {
    await this.worker?.close();
  }

  /** Ingests one result batch (the worker's processor; also callable directly). */
  async process(job: Pick<Job, 'id' | 'data'>): Promise<{ ingested: number; duplicates: number; rejected: number }> {
    const config = this.options.config();
    const now = this.options.now ?? Date.now;
    const parsed = resultBatchSchema.safeParse(job.data);
    if (!parsed.success) {
      this.reject('bad_batch', { job: job.id, reason: describe(parsed.error.issues) });
      throw new UnrecoverableError(`SYNACK_ERR_BAD_MESSAGE: ${describe(parsed.error.issues)}`);
    }
    const batch = parsed.data;
    if (!config.regions.includes(batch.region)) {
      this.reject('unknown_region', { job: job.id, region: batch.region, runner: batch.runnerId }, batch.items.length);
      return { ingested: 0, duplicates: 0, rejected: batch.items.length };
    }
    const inputs: IngestInput[] = [];
    const attempts: IngestedAttempt[] = [];
    const failing: { target: string; kind: string; failing: boolean }[] = [];
    let rejected = 0;
    // For items that do not carry the runner's self-check (older runners): the batch's newest.
    let batchOk: boolean | undefined;
    const runnerOkAt = async (item: { selfCheck?: unknown }, atMs: number) => {
      const control = config.runner.control[batch.region] ?? config.runner.control['*'];
      const maxAgeMs = control ? 3 * control.intervalMs : 0;
      // A malformed stamp counts as none; one older than three control intervals says nothing of
      // this attempt: both fall back to the batch's newest control result or the heartbeat.
      const stamp = selfCheckSchema.safeParse(item.selfCheck);
      if (stamp.success && (maxAgeMs === 0 || atMs - stamp.data.atMs <= maxAgeMs)) return stamp.data.ok;
      batchOk ??= await this.runnerSelfCheck(batch, now());
      return batchOk;
    };
    const targets = new Map(config.targets.map((t) => [t.name, t]));
    for (const item of batch.items) {
      const record = attemptRecordSchema.safeParse(item.record);
      if (!record.success) {
        rejected++;
        this.reject('bad_record', { job: job.id, result: item.resultId, reason: describe(record.error.issues) });
        continue;
      }
      if (item.role === 'control' || item.role === 'trace') {
        // The runner's own health check (kept with its heartbeat), and traceroute hops (for the
        // collector that asked): neither is a measurement of the target.
        continue;
      }
      const r = record.data;
      const answered = isAnswered(r.outcome);
      // On-demand probes answer a person's question; they are not the schedule's measurements.
      const countable = !item.requestId && !(r.outcome === 'local_error' && REFUSALS.has(r.error?.code ?? ''));
      const slo = targets.get(r.target.name)?.slo;
      const runnerOk = countable && slo ? await runnerOkAt(item, Date.parse(r.startedAt)) : true;
      // A runner failing its own self-check says nothing about the target: left out of the SLO,
      // and counted as left out. Good: the handshake completed within the SLO's threshold.
      const sloState: SloState | undefined =
        !countable || !slo
          ? undefined
          : !runnerOk
            ? 'excluded'
            : (handshakeUs(r) ?? Number.POSITIVE_INFINITY) <= slo.thresholdMs * 1000
              ? 'good'
              : 'bad';
      const input: IngestInput = {
        id: dedupId(item.resultId),
        idTtlS: ID_TTL_S,
        target: r.target.name,
        region: batch.region,
        kind: r.kind,
        startedAtMs: Date.parse(r.startedAt),
        success: answered,
        rttUs: r.rttUs,
        outcome: r.outcome,
        recordJson: JSON.stringify({ ...r, region: batch.region, runnerId: batch.runnerId, dueAtMs: item.dueAtMs }),
        historyLength: config.collector.historyPerSeries,
        countable,
        ...(sloState && slo ? { slo: { thresholdMs: slo.thresholdMs, state: sloState } } : {}),
      };
      // What the store would refuse (a name outside [a-z0-9-], a time before 1970) is refused here,
      // for this item alone: one bad item must not sink the batch.
      try {
        ingestCommandArgs(config.prefix, input, now());
      } catch (error) {
        rejected++;
        this.reject('bad_record', { job: job.id, result: item.resultId, reason: (error as Error).message });
        continue;
      }
      inputs.push(input);
      // Only on-demand items carry these: the scheduled stream, most of the load, skips the parse.
      const extras = item.requestId ? onDemandExtrasSchema.parse(item) : {};
      attempts.push({
        ...(extras.timeoutMs !== undefined ? { timeoutMs: extras.timeoutMs } : {}),
        ...(extras.sourcePorts !== undefined ? { sourcePorts: extras.sourcePorts } : {}),
        record: r,
        region: batch.region,
        runnerId: batch.runnerId,
        dueAtMs: item.dueAtMs,
        countable,
        ...(item.requestId ? { requestId: item.requestId } : {}),
        ...(sloState ? { slo: sloState } : {}),
      });
      if (!item.requestId && countable)
        failing.push({ target: r.target.name, kind: `${r.kind}/${r.target.family}`, failing: !answered });
    }
    const results = await ingestBatch(this.options.redis, config.prefix, inputs, now());
    let ingested = 0;
    let duplicates = 0;
    const fresh: IngestedAttempt[] = [];
    results.forEach((result, i) => {
      if (result === 'new') {
        ingested++;
        const attempt = attempts[i];
        if (attempt) fresh.push(attempt);
      } else if (result === 'duplicate') duplicates++;
      else {
        rejected++;
        this.reject('future', { job: job.id, result: inputs[i]?.id });
      }
    });
    await updateFailing(this.options.redis, config.prefix, batch.region, failing);
    this.stats.batches++;
    this.stats.ingested += ingested;
    this.stats.duplicates += duplicates;
    if (fresh.length > 0 && this.options.observe) {
      try {
        this.options.observe(fresh);
      } catch (error) {
        // Metrics and traces must never cost a batch that is already stored.
        this.options.logger.error({ err: (error as Error).message }, 'attempt observer failed');
      }
    }
    return { ingested, duplicates, rejected };
  }

  /**
   * Whether the batch's runner passes its own self-check (its control probe): the newest control
   * result in the batch, else the one in its heartbeat (read at most every few seconds). A runner
   * with no control target, or none reported yet, counts as passing.
   */
  private async runnerSelfCheck(
    batch: { runnerId: string; items: readonly { role: string; record: unknown }[] },
    nowMs: number,
  ): Promise<boolean> {
    let newest: { ok: boolean; atMs: number } | undefined;
    for (const item of batch.items) {
      if (item.role !== 'control') continue;
      const parsed = attemptRecordSchema.safeParse(item.record);
      if (!parsed.success) continue;
      const atMs = Date.parse(parsed.data.startedAt);
      if (!newest || atMs > newest.atMs) newest = { ok: isAnswered(parsed.data.outcome), atMs };
    }
    // Runner ids are per process: forget runners not heard from for ten minutes.
    if (this.runnerHealth.size > 1000) {
      for (const [id, health] of this.runnerHealth) if (nowMs - health.readMs > 600_000) this.runnerHealth.delete(id);
    }
    const known = this.runnerHealth.get(batch.runnerId);
    if (newest && (!known || newest.atMs >= known.atMs)) {
      this.runnerHealth.set(batch.runnerId, { ...newest, readMs: nowMs });
      return newest.ok;
    }
    if (known && nowMs - known.readMs < RUNNER_HEALTH_TTL_MS) return known.ok;
    const raw = await this.options.redis.hget(runnersKey(this.options.config().prefix), batch.runnerId);
    let control: { ok: boolean; atMs: number } | null = null;
    try {
      const beat = runnerHeartbeatSchema.safeParse(raw === null ? null : JSON.parse(raw));
      control = beat.success ? beat.data.control : null;
    } catch {
      control = null;
    }
    const health = control && (!known || control.atMs >= known.atMs) ? control : (known ?? { ok: true, atMs: 0 });
    this.runnerHealth.set(batch.runnerId, { ok: health.ok, atMs: health.atMs, readMs: nowMs });
    return health.ok;
  }

  private reject(reason: RejectReason, details: Record<string, unknown>, count = 1): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + count;
    this.options.logger.warn({ reason, ...details }, 'result rejected');
  }
}

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
