import type { SynackConfig, TargetConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import type { SloReport } from '@synack/shared/wire/slo-report';
import type { Cluster, Redis } from 'ioredis';
import { type AlertTransition, alertKey } from './alert-message.ts';
import { readSloBuckets } from './read-slo-buckets.ts';
import { sloReport } from './slo-report.ts';

// Targets per pipeline when reading rings: 500 targets x 3 regions x 2 rings = 3,000 replies.
const CHUNK = 500;

// Sets an alert's state and, when that changed it, returns the state before ('' for none): of
// several collectors evaluating the same alert, only the one that flips it sends the notice.
const FLIP_LUA = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous == ARGV[2] then return false end
if ARGV[2] == 'ok' and not previous then return false end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return previous or ''
`;

// Puts a flip back when its notice went nowhere, unless another collector has flipped it since.
const UNFLIP_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`;

// An alert that leaves the config is forgotten only after this long, so collectors briefly on
// different configs do not take turns re-sending it.
const FORGET_AFTER_MS = 15 * 60_000;

export type SloServiceOptions = {
  config: () => SynackConfig;
  redis: Redis | Cluster;
  logger: Logger;
  /**
   * Called once per alert that starts or stops firing, on one collector only. Resolving `false`
   * (delivered nowhere) makes the next refresh try again.
   */
  notify?: (transition: AlertTransition) => Promise<boolean>;
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
  private latestAtMs = 0;
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

  /** Stops refreshing; waits for a refresh under way (alerts being sent) for at most 5 s. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([this.running, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }

  /** Recomputes every report and sends the alert transitions. Returns the transitions sent. */
  async refresh(): Promise<AlertTransition[]> {
    const reports = await this.reports();
    this.latest = reports;
    this.latestAtMs = (this.options.now ?? Date.now)();
    const transitions = await this.flipAlerts(reports);
    const key = `${this.options.config().prefix}:slo-alerts`;
    const delivered = await Promise.all(
      transitions.map(async (t) => {
        const id = alertKey(t.report.target, t.alert);
        this.options.logger.info({ target: t.report.target, key: id, status: t.status }, 'SLO alert');
        let ok = true;
        try {
          ok = (await this.options.notify?.(t)) !== false;
        } catch (error) {
          this.options.logger.error({ err: (error as Error).message, key: id }, 'SLO alert not sent');
          ok = false;
        }
        // Not delivered anywhere: put the state back, so the next refresh tries again.
        if (!ok)
          await this.options.redis.eval(UNFLIP_LUA, 1, key, id, t.status === 'firing' ? 'firing' : 'ok', t.previous);
        return ok ? t : undefined;
      }),
    );
    return delivered.flatMap((t) => (t ? [{ report: t.report, alert: t.alert, status: t.status }] : []));
  }

  /**
   * The reports of the last refresh when they are recent enough to stand for `GET /v1/slo` (so a
   * dashboard polling every few seconds does not reread every ring); else freshly computed ones.
   */
  async current(maxAgeMs: number): Promise<readonly SloReport[]> {
    const now = (this.options.now ?? Date.now)();
    if (this.latestAtMs > 0 && now - this.latestAtMs <= maxAgeMs) return this.latest;
    return this.reports();
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

  private async flipAlerts(reports: readonly SloReport[]): Promise<(AlertTransition & { previous: string })[]> {
    const key = `${this.options.config().prefix}:slo-alerts`;
    // No data over a window (runners down, every attempt excluded, a new threshold's empty rings)
    // says nothing: an alert keeps its state rather than resolving.
    const candidates = reports.flatMap((report) =>
      report.alerts.flatMap((alert) =>
        alert.firing
          ? [{ report, alert, state: 'firing' }]
          : alert.longBurn === null || alert.shortBurn === null
            ? []
            : [{ report, alert, state: 'ok' }],
      ),
    );
    await this.forgetUnconfigured(key, reports);
    if (candidates.length === 0) return [];
    const pipeline = this.options.redis.pipeline();
    for (const c of candidates) pipeline.eval(FLIP_LUA, 1, key, alertKey(c.report.target, c.alert), c.state);
    const replies = (await pipeline.exec()) ?? [];
    return candidates.flatMap((c, i) => {
      const previous = replies[i]?.[1];
      return typeof previous === 'string'
        ? [{ report: c.report, alert: c.alert, status: c.state === 'firing' ? 'firing' : 'resolved', previous }]
        : [];
    });
  }

  /**
   * Drops the stored state of alerts no longer configured (a target or its SLO removed, windows
   * changed) once they have been so for 15 minutes, so none stays "firing" for ever; one that was
   * firing is logged as dropped (there is no report left to send a resolve notice from).
   */
  private async forgetUnconfigured(key: string, reports: readonly SloReport[]): Promise<void> {
    const configured = new Set(reports.flatMap((r) => r.alerts.map((a) => alertKey(r.target, a))));
    const since = `${key}:unconfigured`;
    const [stored, marked] = await Promise.all([this.options.redis.hgetall(key), this.options.redis.hgetall(since)]);
    const now = (this.options.now ?? Date.now)();
    const back = Object.keys(marked).filter((field) => configured.has(field) || stored[field] === undefined);
    if (back.length > 0) await this.options.redis.hdel(since, ...back);
    for (const [field, state] of Object.entries(stored)) {
      if (configured.has(field)) continue;
      const first = Number(marked[field]);
      if (!marked[field]) await this.options.redis.hsetnx(since, field, String(now));
      else if (now - first >= FORGET_AFTER_MS) {
        await this.options.redis.hdel(key, field);
        await this.options.redis.hdel(since, field);
        const log = state === 'firing' ? this.options.logger.warn : this.options.logger.info;
        log.call(this.options.logger, { alert: field, state }, 'SLO alert no longer configured: forgotten');
      }
    }
  }
}
