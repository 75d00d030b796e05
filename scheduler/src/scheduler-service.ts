import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { type DesiredSlot, desiredSchedule } from './desired-schedule.ts';
import { LeaderLock } from './leader-lock.ts';
import { reconcileSchedulers } from './reconcile-schedulers.ts';

/** The queue a region's runners consume (same name the runners use). */
export const probeQueueName = (region: string) => `probe-${region}`;

export type SchedulerServiceOptions = {
  config: SynackConfig;
  /** For BullMQ queues. */
  connection: Redis | Cluster;
  /** For the lease and the failing-target set. */
  redis: Redis | Cluster;
  logger: Logger;
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
  private running: Promise<void> | undefined;
  private lastFailing = '';
  private dirty = true;

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
      this.running ??= this.tick().finally(() => {
        this.running = undefined;
      });
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

  /** Runs one tick now (after the one in progress, if any); for reloads and tests. */
  async tickNow(): Promise<void> {
    await this.running;
    this.running = this.tick().finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.lock.release();
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  private async tick(): Promise<void> {
    const wasLeader = this.lock.isLeader;
    if (!(await this.lock.refresh())) {
      if (wasLeader) this.options.logger.warn('lost the scheduler lease; another scheduler acts now');
      return;
    }
    if (!wasLeader) {
      this.options.logger.info('took the scheduler lease');
      this.dirty = true;
    }
    try {
      const failing = await this.failingTargets();
      const failingKey = [...failing].sort().join(',');
      if (!this.dirty && failingKey === this.lastFailing) return;
      await this.reconcile(desiredSchedule(this.config, failing));
      this.lastFailing = failingKey;
      this.dirty = false;
    } catch (error) {
      this.stats.errors++;
      this.options.logger.warn({ err: (error as Error).message }, 'reconcile failed; retrying next tick');
    }
  }

  private async failingTargets(): Promise<Set<string>> {
    const names = await this.options.redis.hkeys(`${this.config.prefix}:failing`);
    const known = new Set(this.config.targets.map((t) => t.name));
    return new Set(names.filter((name) => known.has(name)));
  }

  private async reconcile(desired: DesiredSlot[]): Promise<void> {
    const byRegion = new Map<string, DesiredSlot[]>(this.config.regions.map((region) => [region, []]));
    for (const slot of desired) byRegion.get(slot.region)?.push(slot);
    // Regions dropped from the config keep their queue, but lose every scheduler on it.
    const regionsKey = `${this.config.prefix}:scheduled-regions`;
    for (const region of await this.options.redis.smembers(regionsKey))
      if (!byRegion.has(region)) byRegion.set(region, []);
    for (const [region, slots] of byRegion) {
      const result = await reconcileSchedulers(this.queue(region), slots);
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
