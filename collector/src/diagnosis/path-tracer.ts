import { type OnDemandDeps, probeOnDemand } from '@synack/scheduler/on-demand-probe';
import type { AddressFamily } from '@synack/shared/address-family';
import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import type { TargetConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { jobTargetOf } from '@synack/shared/wire/probe-job';
import type { JobSigner } from '@synack/shared/wire/signed-job';
import type { Cluster, Redis } from 'ioredis';
import { type PathTrace, pathTraceOf } from './path-trace.ts';

/** Hops a diagnosis trace goes up to: enough for paths inside a provider, bounded in SYNs. */
const MAX_HOPS = 16;
/** A region × family is traced at most this often per target. */
const TRACE_EVERY_MS = 60_000;
/** Traces are kept this long. */
const KEEP_S = 3600;

export type PathTracerOptions = {
  redis: Redis | Cluster;
  prefix: () => string;
  queueFor: OnDemandDeps['queueFor'];
  /** Signs the traceroute jobs. */
  signer: JobSigner;
  logger: Logger;
  now?: () => number;
};

/**
 * TCP traceroutes from failing regions, for diagnoses that point to the path. A trace runs as an
 * on-demand job on the region's runners (raw SYNs to the service port, TTL 1..16), in the
 * background; its hops are kept in Redis for every collector, and read into the next diagnosis.
 */
export class PathTracer {
  private readonly options: PathTracerOptions;
  private readonly running = new Set<Promise<void>>();

  constructor(options: PathTracerOptions) {
    this.options = options;
  }

  /** Starts a trace from each of `from` unless one was started within the last minute. */
  async request(target: TargetConfig, from: readonly { region: string; family: AddressFamily }[]): Promise<void> {
    const { redis, prefix } = this.options;
    for (const { region, family } of from) {
      const lock = `${prefix()}:trace-lock:${target.name}:${region}/${family}`;
      if ((await redis.set(lock, '1', 'PX', TRACE_EVERY_MS, 'NX')) !== 'OK') continue;
      const run = this.run(target, region, family).finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /** The traces of `target` taken since `sinceMs`. */
  async traces(target: string, sinceMs: number): Promise<PathTrace[]> {
    const all = await this.options.redis.hgetall(`${this.options.prefix()}:trace:${target}`);
    return Object.values(all)
      .map((text) => JSON.parse(text) as PathTrace)
      .filter((t) => t.atMs >= sinceMs)
      .sort((a, b) => (a.region === b.region ? (a.family < b.family ? -1 : 1) : a.region < b.region ? -1 : 1));
  }

  /** Waits for the traces in flight (on shutdown). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(target: TargetConfig, region: string, family: AddressFamily): Promise<void> {
    const { redis, prefix, logger } = this.options;
    const now = this.options.now ?? Date.now;
    const startedAt = now();
    let trace: PathTrace;
    try {
      const result = await probeOnDemand(
        { redis, prefix: prefix(), queueFor: this.options.queueFor, signer: this.options.signer, now },
        {
          targets: [
            {
              ...jobTargetOf(target),
              families: [family],
              probes: ['syn'],
              // One SYN per hop, all hops at once: the trace takes about one timeout.
              timeoutMs: Math.min(target.timeoutMs, 2000),
              trace: { maxHops: MAX_HOPS },
            },
          ],
          regions: [region],
          waitMs: 20_000,
        },
      );
      const records = (result.byRegion[region] ?? []) as SynAttemptRecord[];
      trace = result.missing.includes(region)
        ? { region, family, address: '', atMs: startedAt, hops: [], error: 'the runner did not answer in time' }
        : pathTraceOf(region, family, records, startedAt);
    } catch (error) {
      trace = { region, family, address: '', atMs: startedAt, hops: [], error: (error as Error).message };
    }
    const key = `${prefix()}:trace:${target.name}`;
    try {
      await redis.multi().hset(key, `${region}/${family}`, JSON.stringify(trace)).expire(key, KEEP_S).exec();
    } catch (error) {
      logger.warn({ err: (error as Error).message, target: target.name, region }, 'cannot keep a path trace');
    }
  }
}
