import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { probeQueueName } from '@synack/shared/wire/queue-names';
import type { JobSigner } from '@synack/shared/wire/signed-job';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { type DesiredSlot, desiredSchedule } from './desired-schedule.ts';
import { LeaderLock } from './leader-lock.ts';
import { reconcileSchedulers } from './reconcile-schedulers.ts';

// At the default 2 s tick: a full comparison every 30 s.
const FULL_RECONCILE_TICKS = 15;

export type SchedulerServiceOptions = {
  config: SynackConfig;
  /** For BullMQ queues. */
  connection: Redis | Cluster;
  /** For the lease and the failing-target set. */
  redis: Redis | Cluster;
  logger: Logger;
  /** Signs every Job Scheduler template (runners take nothing else). */
  signer: JobSigner;
  /** How often the schedule is checked against Redis. Default 2 s. */
  tickMs?: number;
};

/**
 * The scheduler process: while it holds the leader lease, it keeps every region's Job
 * Schedulers equal to the desired schedule for the current config and the current set of failing
 * targets (which the collector maintains). Several can run; one acts.
 */
export class SchedulerService {
  readonly stats = { reconciles: 0, upserted: 0, removed: 0, errors: 0 };
  private config: SynackConfig;
  private readonly options: SchedulerServiceOptions;
  private readonly lock: LeaderLock;
  private readonly queues = new Map<string, Queue>();
  private timer: NodeJS.Timeout | undefined;
  // Ticks run one after the other, never two at once.
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private lastFailing = '';
  private dirty = true;
  private ticksSinceFull = 0;

  constructor(options: SchedulerServiceOptions) {
    this.options = options;
    this.config = options.config;
    this.lock = new LeaderLock(options.redis, `${options.config.prefix}:scheduler-leader`);
  }

  get isLeader(): boolean {
    return this.lock.isLeader;
  }

  start(): void {
    const tick = () => {
      if (this.queued) return;
      void this.tickNow();
    };
    tick();
    this.timer = setInterval(tick, this.options.tickMs ?? 2000);
  }

  /** Switches to a new, already validated config; the next tick applies it. */
  setConfig(config: SynackConfig): void {
    this.config = config;
    this.dirty = true;
    this.options.logger.info({ targets: config.targets.length, regions: config.regions }, 'config reloaded');
    void this.tickNow();
  }

  /** Runs one tick after the one in progress, if any; for reloads and tests. */
  tickNow(): Promise<void> {
    this.queued = true;
    this.chain = this.chain.then(() => {
      this.queued = false;
      return this.tick();
    });
    return this.chain;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
    await this.lock.release();
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  private async tick(): Promise<void> {
    const wasLeader = this.lock.isLeader;
    if (!(await this.lock.refresh())) {
      if (wasLeader) this.options.logger.warn('lost the scheduler lease; another scheduler acts now');
      return;
    }
    if (this.lock.tookLease) {
      // First time, or the lease lapsed (a stall, or Redis lost its data): check everything.
      if (!wasLeader) this.options.logger.info('took the scheduler lease');
      this.dirty = true;
    }
    // Now and then compare everything anyway: the hashes make an unchanged schedule cheap, and
    // it repairs schedulers that vanished from Redis behind our back.
    if (++this.ticksSinceFull >= FULL_RECONCILE_TICKS) this.dirty = true;
    try {
      const failing = await this.failingTargets();
      const failingKey = [...failing].sort().join(',');
      if (!this.dirty && failingKey === this.lastFailing) return;
      this.ticksSinceFull = 0;
      await this.reconcile(desiredSchedule(this.config, failing));
      this.lastFailing = failingKey;
      this.dirty = false;
    } catch (error) {
      this.stats.errors++;
      this.options.logger.warn({ err: (error as Error).message }, 'reconcile failed; retrying next tick');
    }
  }

  /**
   * The configured targets with a failing (region, kind, family) that the config still probes.
   * Entries nothing probes any more (a region or kind dropped from the config, a target removed)
   * are deleted, so they cannot keep a target in fast mode forever.
   */
  private async failingTargets(): Promise<Set<string>> {
    const key = `${this.config.prefix}:failing`;
    const entries = await this.options.redis.hgetall(key);
    const failing = new Set<string>();
    const stale: string[] = [];
    for (const [name, pairs] of Object.entries(entries)) {
      const target = this.config.targets.find((t) => t.name === name);
      const live = pairs.split(' ').some((pair) => {
        const [region, kind, family] = pair.split('/');
        return (
          target?.regions.includes(region ?? '') &&
          (target.probes as readonly string[]).includes(kind ?? '') &&
          (family === undefined || (target.families as readonly string[]).includes(family))
        );
      });
      if (live) failing.add(name);
      else stale.push(name);
    }
    if (stale.length > 0) await this.options.redis.hdel(key, ...stale);
    return failing;
  }

  private async reconcile(desired: DesiredSlot[]): Promise<void> {
    const byRegion = new Map<string, DesiredSlot[]>(this.config.regions.map((region) => [region, []]));
    for (const slot of desired) byRegion.get(slot.region)?.push(slot);
    // Regions dropped from the config keep their queue, but lose every scheduler on it.
    const regionsKey = `${this.config.prefix}:scheduled-regions`;
    for (const region of await this.options.redis.smembers(regionsKey))
      if (!byRegion.has(region)) byRegion.set(region, []);
    for (const [region, slots] of byRegion) {
      // A reconcile can outlast the lease (a stall): check it before writing each region.
      if (!(await this.lock.refresh())) throw new Error('lost the scheduler lease during a reconcile');
      const result = await reconcileSchedulers(this.queue(region), slots, this.options.signer);
      this.stats.upserted += result.upserted;
      this.stats.removed += result.removed;
      if (result.upserted || result.removed) this.options.logger.info({ region, ...result }, 'schedule reconciled');
      if (slots.length === 0) await this.options.redis.srem(regionsKey, region);
      else await this.options.redis.sadd(regionsKey, region);
    }
    this.stats.reconciles++;
  }

  private queue(region: string): Queue {
    let queue = this.queues.get(region);
    if (!queue) {
      queue = new Queue(probeQueueName(region), { connection: this.options.connection, prefix: this.config.prefix });
      queue.on('error', (error) => this.options.logger.warn({ region, err: error.message }, 'queue error'));
      this.queues.set(region, queue);
    }
    return queue;
  }
}
