import { hostname } from 'node:os';
import type { AttemptRecord, ProbeTarget } from '@synack/shared/attempt-record';
import type { ControlTarget, SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { isAnswered, type ProbeKind } from '@synack/shared/probe-outcome';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import { type ProbeJob, probeJobSchema } from '@synack/shared/wire/probe-job';
import { onDemandQueueName, probeQueueName, RESULTS_QUEUE } from '@synack/shared/wire/queue-names';
import type { ResultItem } from '@synack/shared/wire/result-message';
import { RUNNER_TTL_MS, type RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import type { JobVerifier } from '@synack/shared/wire/signed-job';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { RateLimiter } from './rate-limiter.ts';
import { ResultSink } from './result-sink.ts';
import { type ProbeJobDeps, type Resolution, runProbeJob } from './run-probe-job.ts';
import { RunnerRegistry } from './runner-registry.ts';

export type RegionRunnerOptions = {
  config: SynackConfig;
  region: string;
  runnerId: string;
  version: string;
  /** For BullMQ (blocking commands): `maxRetriesPerRequest: null`. */
  connection: Redis | Cluster;
  /** For the registry and on-demand deliveries. */
  redis: Redis | Cluster;
  rawSyn: boolean;
  probe: (kind: ProbeKind, target: ProbeTarget, timeoutMs: number) => Promise<AttemptRecord>;
  /** TCP traceroute, when this runner may send raw SYNs. */
  trace?: ProbeJobDeps['trace'];
  resolve: ProbeJobDeps['resolve'];
  isAllowed: (address: string, port: number) => boolean;
  /**
   * Checks each job's signature before anything else (`createJobVerifier` over
   * `config.signing.publicKeys`). With no key the runner refuses to be built.
   */
  verifier: JobVerifier;
  nextId: () => string;
  logger: Logger;
  /** Probe jobs worked on at once (each may hold many targets, and waits for their due times). Default 256. */
  jobConcurrency?: number;
  /** BullMQ lock: a job whose runner died is taken over after about this. Default 15 s. */
  lockDurationMs?: number;
};

/** Counters for status and tests. `badSignatures`: jobs refused unsigned, badly signed or stale (nothing probed). */
export type RunnerStats = {
  jobs: number;
  attempts: number;
  badJobs: number;
  badSignatures: number;
  staleJobs: number;
  controlProbes: number;
};

/**
 * A region's runner: a BullMQ worker on the region's probe queue that runs each job's targets at
 * their due times, sends every attempt to the results queue before the job completes, beats its
 * heartbeat, and probes its control target so that a broken runner is told apart from a down
 * target. `stop()` is graceful: jobs in progress finish and their results are sent.
 */
export class RegionRunner {
  readonly stats: RunnerStats = { jobs: 0, attempts: 0, badJobs: 0, badSignatures: 0, staleJobs: 0, controlProbes: 0 };
  private readonly options: RegionRunnerOptions;
  private readonly sink: ResultSink;
  private readonly resultsQueue: Queue;
  private readonly registry: RunnerRegistry;
  private readonly limit: ConcurrencyLimit;
  private readonly rateLimiter: RateLimiter;
  private readonly startedAtMs = Date.now();
  private readonly sources = new Set<string>();
  private workers: Worker[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private controlTimer: NodeJS.Timeout | undefined;
  // In flight at stop(): awaited, so nothing is pushed or registered after the runner left.
  private controlRun: Promise<void> | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;
  private lastControl: RunnerHeartbeat['control'] = null;

  constructor(options: RegionRunnerOptions) {
    const { config } = options;
    requireRunnerKeys(config, options.verifier);
    this.options = options;
    this.resultsQueue = new Queue(RESULTS_QUEUE, { connection: options.connection, prefix: config.prefix });
    this.resultsQueue.on('error', (error) => options.logger.warn({ err: error.message }, 'results queue error'));
    this.registry = new RunnerRegistry(options.redis, config.prefix);
    this.limit = new ConcurrencyLimit(config.runner.concurrency);
    // A round of one target is each kind against each address: room for 2 kinds × 8 addresses.
    this.rateLimiter = new RateLimiter(config.runner.maxProbesPerSecondPerTarget, 16);
    this.sink = new ResultSink({
      queue: this.resultsQueue,
      region: options.region,
      runnerId: options.runnerId,
      logger: options.logger,
      deliverOnDemand: async (requestId, items) => {
        const key = `${config.prefix}:od:${requestId}`;
        await options.redis
          .multi()
          .rpush(
            key,
            ...items.map((item) => JSON.stringify({ region: options.region, runnerId: options.runnerId, ...item })),
          )
          .pexpire(key, 600_000)
          .exec();
      },
    });
  }

  get inFlight(): number {
    return this.limit.inFlight;
  }

  start(): void {
    const { config, region, logger } = this.options;
    if (!config.regions.includes(region)) {
      throw new RangeError(`region "${region}" is not in ${config.file} (regions: ${config.regions.join(', ')})`);
    }
    const lockDuration = this.options.lockDurationMs ?? 15_000;
    // Scheduled jobs, and on-demand ones on a queue of their own (never behind a backlog).
    this.workers = [probeQueueName(region), onDemandQueueName(region)].map((queue) => {
      const worker = new Worker(queue, (job) => this.process(job), {
        // Stored on each job it takes (`processedBy`): who was probing when something went wrong.
        name: this.options.runnerId,
        connection: this.options.connection,
        prefix: config.prefix,
        concurrency: this.options.jobConcurrency ?? 256,
        lockDuration,
        stalledInterval: Math.max(1000, Math.floor(lockDuration / 3)),
        maxStalledCount: 3,
      });
      worker.on('error', (error) => logger.warn({ queue, err: error.message }, 'probe worker error'));
      worker.on('failed', (job, error) => logger.warn({ queue, job: job?.id, err: error.message }, 'probe job failed'));
      return worker;
    });
    const beat = () => {
      this.beating ??= this.beat().finally(() => {
        this.beating = undefined;
      });
    };
    beat();
    this.heartbeatTimer = setInterval(beat, RUNNER_TTL_MS / 3);
    const control = config.runner.control[region] ?? config.runner.control['*'];
    if (control) this.startControl(control);
    logger.info({ region, runnerId: this.options.runnerId, rawSyn: this.options.rawSyn }, 'runner started');
  }

  /** Stops taking jobs, finishes the ones in progress, sends their results, and leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.controlTimer);
    await Promise.all(this.workers.map((worker) => worker.close()));
    await this.controlRun;
    await this.beating;
    await this.sink.close();
    await this.registry.leave(this.options.runnerId).catch(() => {});
    await this.resultsQueue.close();
    this.options.logger.info({ stats: this.stats }, 'runner stopped');
  }

  private async process(job: Job): Promise<number> {
    // Before the job is even parsed: whoever can write to Redis must not make this runner probe.
    const verified = this.options.verifier.verify(job.data, Date.now());
    if (!verified.ok) {
      this.stats.badSignatures++;
      this.options.logger.warn(
        { job: job.id, queue: job.queueName, reason: verified.reason },
        'probe job refused: not signed by a configured key',
      );
      throw new UnrecoverableError(`${ErrorCode.badSignature}: ${verified.reason}`);
    }
    const parsed = probeJobSchema.safeParse(verified.job);
    if (!parsed.success) {
      this.stats.badJobs++;
      const reason = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(job)'}: ${issue.message}`)
        .join('; ');
      this.options.logger.warn({ job: job.id, reason }, 'malformed probe job refused');
      throw new UnrecoverableError(`SYNACK_ERR_BAD_MESSAGE: ${reason}`);
    }
    // What BullMQ keeps beside the signed data (job id, timestamp, options) anyone with Redis
    // can write: the region and the times that matter come from the signed job.
    const refuse = (reason: string) => {
      this.stats.badSignatures++;
      this.options.logger.warn({ job: job.id, queue: job.queueName, reason }, 'probe job refused');
      return new UnrecoverableError(`${ErrorCode.badSignature}: ${reason}`);
    };
    if (parsed.data.region !== this.options.region) throw refuse('wrong_region');
    const jobId = (job.id ?? `${job.name}-${job.timestamp}`).replace(/:/g, '-');
    const nowMs = Date.now();
    let dueAtMs: number;
    if (parsed.data.origin === 'on_demand') {
      // Verified present and recent by the verifier.
      dueAtMs = parsed.data.issuedAtMs ?? nowMs;
      // Once per region: a copy of the job under another id is a replay.
      const first = await this.options.redis.set(
        `${this.options.config.prefix}:od-run:${parsed.data.requestId ?? jobId}:${this.options.region}`,
        '1',
        'PX',
        11 * 60_000,
        'NX',
      );
      if (first !== 'OK') throw refuse('replayed');
    } else {
      const everyMs = parsed.data.everyMs;
      if (everyMs === undefined) throw refuse('no_interval');
      dueAtMs = scheduledAtMs(job);
      // Due further ahead than one interval: not an iteration of its Job Scheduler.
      if (dueAtMs - nowMs > everyMs + 1000) throw refuse('future');
      // A scheduled iteration found long after its slot (its runner died, the region was down):
      // the next one is already due, and re-running this one would only re-measure "now" as "then".
      if (nowMs - dueAtMs > everyMs + 1000) {
        this.stats.staleJobs++;
        this.options.logger.warn({ job: job.id, lateMs: nowMs - dueAtMs }, 'stale scheduled job skipped');
        return 0;
      }
    }
    const count = await runProbeJob(parsed.data as ProbeJob, jobId, dueAtMs, this.deps(), (item) => this.emit(item));
    await this.sink.flush();
    // The on-demand caller waits for one "done" per region: all of this job's results are there.
    if (parsed.data.requestId) await this.markDone(parsed.data.requestId, count);
    this.stats.jobs++;
    return count;
  }

  private async markDone(requestId: string, attempts: number): Promise<void> {
    const key = `${this.options.config.prefix}:od:${requestId}`;
    const marker = JSON.stringify({
      region: this.options.region,
      runnerId: this.options.runnerId,
      done: true,
      attempts,
    });
    await this.options.redis.multi().rpush(key, marker).pexpire(key, 600_000).exec();
  }

  private emit(item: ResultItem): void {
    this.stats.attempts++;
    if (item.record.source && this.sources.size < 64) this.sources.add(item.record.source.address);
    // The runner's own health when it made the attempt: the collector leaves the attempts of a
    // runner failing its self-check out of the SLOs, judged by then, not by when they arrive.
    if (this.lastControl) item.selfCheck = { ok: this.lastControl.ok, atMs: this.lastControl.atMs };
    this.sink.push(item);
  }

  private deps(): ProbeJobDeps {
    return {
      region: this.options.region,
      now: Date.now,
      sleepUntil,
      resolve: this.options.resolve,
      isAllowed: this.options.isAllowed,
      rateLimiter: this.rateLimiter,
      limit: this.limit,
      nextId: this.options.nextId,
      probe: this.options.probe,
      ...(this.options.trace ? { trace: this.options.trace } : {}),
    };
  }

  private startControl(control: ControlTarget): void {
    const run = async () => {
      const dueAtMs = Date.now();
      const resolutions: Resolution[] = await this.options.resolve({
        name: 'control',
        address: control.address,
        port: control.port,
        probes: ['connect'],
        families: ['v4', 'v6'],
        timeoutMs: 2000,
        atMs: 0,
      });
      const first = resolutions.find((r) => r.ok);
      if (!first?.ok || !first.addresses[0]) {
        this.lastControl = { ok: false, outcome: 'local_error', atMs: dueAtMs };
        return;
      }
      const target = { ...first.addresses[0], name: `control-${this.options.region}` };
      const record = await this.options.probe('connect', target, Math.min(2000, control.intervalMs));
      this.stats.controlProbes++;
      this.lastControl = { ok: isAnswered(record.outcome), outcome: record.outcome, atMs: dueAtMs };
      this.sink.push({
        resultId: `control|${this.options.runnerId}|${dueAtMs}`,
        jobId: `control-${this.options.runnerId}`,
        dueAtMs,
        role: 'control',
        record,
      });
    };
    const tick = () => {
      if (this.stopped || this.controlRun) return;
      this.controlRun = run()
        .catch((error: Error) => this.options.logger.warn({ err: error.message }, 'control probe failed'))
        .finally(() => {
          this.controlRun = undefined;
        });
    };
    tick();
    this.controlTimer = setInterval(tick, control.intervalMs);
  }

  private async beat(): Promise<void> {
    const { runnerId, region, version, rawSyn } = this.options;
    try {
      await this.registry.beat({
        id: runnerId,
        region,
        version,
        hostname: hostname(),
        pid: process.pid,
        rawSyn,
        sourceAddresses: [...this.sources],
        startedAtMs: this.startedAtMs,
        seenAtMs: Date.now(),
        inFlight: this.limit.inFlight,
        probed: this.stats.attempts,
        control: this.lastControl,
      });
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'heartbeat failed; retrying');
    }
  }
}

/**
 * Throws `SYNACK_ERR_CONFIG_INVALID` when there is no key to check jobs with (`verifier`'s, else
 * `config.signing.public_keys`): a runner that cannot tell a signed job from one written into
 * Redis by hand must not run at all. Composition roots check it before they connect anything.
 */
export function requireRunnerKeys(config: SynackConfig, verifier?: JobVerifier): void {
  if ((verifier?.keyIds.length ?? config.signing.publicKeys.length) > 0) return;
  throw new SynackError(
    ErrorCode.configInvalid,
    `${config.file}: no signing.public_keys: a runner takes only jobs signed by a key listed there (make a key pair with: synack keygen --out FILE)`,
  );
}

/**
 * When a scheduled job was due. Job Scheduler iterations have the id `repeat:<id>:<millis>`,
 * `millis` being the slot's time exactly; the creation time plus the delay is only close to it
 * (BullMQ takes "now" twice), so it is the fallback for jobs added some other way.
 */
export function scheduledAtMs(job: Pick<Job, 'id' | 'timestamp' | 'delay'>): number {
  const match = /^repeat:.+:(\d+)$/.exec(job.id ?? '');
  return match ? Number(match[1]) : job.timestamp + (job.delay ?? 0);
}

function sleepUntil(epochMs: number, signal?: AbortSignal): Promise<void> {
  if (Date.now() >= epochMs || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    // Timers run on the monotonic clock and may fire a millisecond before Date.now() gets there:
    // wait again for the rest, so no probe starts before it is due.
    const wait = () => {
      const left = epochMs - Date.now();
      if (left <= 0) done();
      else timer = setTimeout(wait, left);
    };
    signal?.addEventListener('abort', done, { once: true });
    wait();
  });
}
