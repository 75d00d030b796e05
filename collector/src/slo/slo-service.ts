import type { SynackConfig, TargetConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import type { SloReport } from '@synack/shared/wire/slo-report';
import type { Cluster, Redis } from 'ioredis';
import { type AlertTransition, alertKey } from './alert-message.ts';
import { readSloBuckets } from './read-slo-buckets.ts';
import { sloReport } from './slo-report.ts';

// Targets per pipeline when reading rings: 500 targets x 3 regions x 2 rings = 3,000 replies.
const CHUNK = 500;

// Sets an alert's state and says whether it changed, atomically: of several collectors
// evaluating the same alert, only the one that flips it sends the notice.
const FLIP_LUA = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous == ARGV[2] then return 0 end
if ARGV[2] == 'ok' and not previous then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

export type SloServiceOptions = {
  config: () => SynackConfig;
  redis: Redis | Cluster;
  logger: Logger;
  /** Called once per alert that starts or stops firing, on one collector only. */
  notify?: (transition: AlertTransition) => Promise<unknown>;
  /** How often reports are recomputed and alerts evaluated. Default 30 s. */
  refreshMs?: number;
  now?: () => number;
};

/**
 * The SLO shell: reads the SLO rings of every target that has an SLO, builds the reports (pure,
 * slo-report.ts), keeps the newest for `/metrics` and the API, and turns alerts that start or
 * stop firing into one notice each, deduplicated across collectors through Redis.
 */
export class SloService {
  private readonly options: SloServiceOptions;
  private latest: SloReport[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(options: SloServiceOptions) {
    this.options = options;
  }

  /** The reports of the last refresh (empty before the first). */
  get cached(): readonly SloReport[] {
    return this.latest;
  }

  start(): void {
    const tick = () => {
      this.running ??= this.refresh()
        .catch((error: Error) => this.options.logger.warn({ err: error.message }, 'SLO refresh failed'))
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, this.options.refreshMs ?? 30_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Recomputes every report and sends the alert transitions. Returns the transitions sent. */
  async refresh(): Promise<AlertTransition[]> {
    const reports = await this.reports();
    this.latest = reports;
    const transitions = await this.flipAlerts(reports);
    for (const t of transitions) {
      this.options.logger.info(
        { target: t.report.target, key: alertKey(t.report.target, t.alert), status: t.status },
        'SLO alert',
      );
      await this.options.notify?.(t);
    }
    return transitions;
  }

  /** Reports for every target with an SLO (or only `target`), over `windowMs` or each SLO's own window. */
  async reports(query: { target?: string; windowMs?: number } = {}): Promise<SloReport[]> {
    const config = this.options.config();
    const nowMs = (this.options.now ?? Date.now)();
    const subjects = config.targets.filter(
      (t): t is TargetConfig & { slo: NonNullable<TargetConfig['slo']> } =>
        t.slo !== null && (query.target === undefined || t.name === query.target),
    );
    const out: SloReport[] = [];
    for (let i = 0; i < subjects.length; i += CHUNK) {
      const chunk = subjects.slice(i, i + CHUNK);
      const { buckets, unreadable } = await readSloBuckets(
        this.options.redis,
        config.prefix,
        chunk.map((t) => ({ target: t.name, regions: t.regions, thresholdMs: t.slo.thresholdMs })),
        nowMs,
      );
      if (unreadable.length > 0)
        this.options.logger.warn({ unreadable: unreadable.slice(0, 5) }, 'SLO rings unreadable');
      chunk.forEach((t, index) => {
        out.push(
          sloReport(
            { target: t.name, group: t.group, slo: t.slo },
            buckets[index] ?? {},
            nowMs,
            query.windowMs ?? t.slo.windowMs,
          ),
        );
      });
    }
    return out;
  }

  private async flipAlerts(reports: readonly SloReport[]): Promise<AlertTransition[]> {
    const key = `${this.options.config().prefix}:slo-alerts`;
    const candidates = reports.flatMap((report) =>
      report.alerts.map((alert) => ({ report, alert, state: alert.firing ? 'firing' : 'ok' })),
    );
    if (candidates.length === 0) return [];
    const pipeline = this.options.redis.pipeline();
    for (const c of candidates) pipeline.eval(FLIP_LUA, 1, key, alertKey(c.report.target, c.alert), c.state);
    const replies = (await pipeline.exec()) ?? [];
    return candidates
      .filter((_, i) => replies[i]?.[1] === 1)
      .map((c) => ({ report: c.report, alert: c.alert, status: c.state === 'firing' ? 'firing' : 'resolved' }));
  }
}
