import { randomUUID } from 'node:crypto';
import type { OnDemandResult } from '@synack/scheduler/on-demand-probe';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import type { ProbeJobTarget } from '@synack/shared/wire/probe-job';
import type { ProbeReport, ReportDiagnosis } from '@synack/shared/wire/probe-report';
import type { Cluster, Redis } from 'ioredis';
import type { DiagnosisRecord } from '../diagnosis/diagnosis-state.ts';
import { type Actor, type AuditLog, actorLabel } from './audit-log.ts';
import { type AuthorizedProbe, authorizeProbe, type ResolvedAddress } from './authorize-probe.ts';
import { parseProbeSpec } from './probe-spec.ts';
import type { RateCheck, RateGate } from './rate-gate.ts';

/** What a requester asks for. */
export type ProbeAsk = {
  /** `<target|host:port>`. */
  target: string;
  /** Default: the target's regions (all regions for an address). */
  regions?: readonly string[];
  /** Attempts per kind and address, each from its own source port (1..64). */
  sourcePorts?: number;
  actor: Actor;
  ip?: string;
};

/** Why a request was refused, with the HTTP status the API answers it with. */
export type ProbeRefused = {
  ok: false;
  code: 'bad_request' | 'not_allowed' | 'unresolvable' | 'rate_limited' | 'no_runner';
  status: 400 | 403 | 422 | 429 | 503;
  message: string;
  /** The field of the request it is about, for a bad request. */
  field?: 'target' | 'regions' | 'sourcePorts';
  retryAfterMs?: number;
};

/** A probe under way: its report as first stored, and the report when it ends (never rejects). */
export type ProbeStarted = { ok: true; report: ProbeReport; done: Promise<ProbeReport> };

export type ProbeServiceDeps = {
  config: () => SynackConfig;
  redis: Redis | Cluster;
  /** Regions with a live runner now. */
  liveRegions: () => Promise<Set<string>>;
  /** Puts the signed jobs on the regions' queues and waits for their results. */
  run: (request: {
    targets: Omit<ProbeJobTarget, 'atMs'>[];
    regions: string[];
    requestId: string;
  }) => Promise<OnDemandResult>;
  diagnosisOf: (target: string) => Promise<DiagnosisRecord | null>;
  resolve: (host: string) => Promise<ResolvedAddress[]>;
  rates: RateGate;
  audit: AuditLog;
  /** The trace id of a request, when traces are exported. */
  traceIdOf: (requestId: string) => string | null;
  logger: Logger;
  now?: () => number;
};

const REPORT_TTL_S = 86_400;
// A probe's runners answer within the target timeout plus a margin; past it the report is given up.
const WAIT_MARGIN_MS = 10_000;
const GRACE_MS = 60_000;

/**
 * On-demand probes for chat and the API, under one policy: the target must be configured or in
 * `on_demand.allow` (names resolved and checked first), the requester, its channel and the target
 * each within their rate limit, every decision in the audit log. A probe runs from the regions
 * with a live runner; its report is kept in Redis for a day, so any collector can answer
 * `GET /v1/probes/{id}`.
 */
export class ProbeService {
  private readonly deps: ProbeServiceDeps;
  private readonly now: () => number;
  private readonly running = new Set<Promise<unknown>>();
  private closing = false;

  constructor(deps: ProbeServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  async start(ask: ProbeAsk): Promise<ProbeStarted | ProbeRefused> {
    if (this.closing) return { ok: false, code: 'no_runner', status: 503, message: 'the collector is stopping' };
    const config = this.deps.config();
    const refuse = async (
      refusal: Omit<ProbeRefused, 'ok'>,
      extra: { addresses?: string[]; regions?: string[] } = {},
    ) => {
      await this.deps.audit.record({
        atMs: this.now(),
        actor: ask.actor,
        action: 'probe',
        target: ask.target,
        ...extra,
        decision: 'refused',
        reason: refusal.code,
        ...(ask.ip ? { ip: ask.ip } : {}),
      });
      return { ok: false as const, ...refusal };
    };
    const limited = (rate: { ok: false; key: string; retryAfterMs: number }, extra = {}) =>
      refuse(
        {
          code: 'rate_limited',
          status: 429,
          message: `too many probes per ${rate.key.split(':')[0]}: try again in ${Math.ceil(rate.retryAfterMs / 1000)} s`,
          retryAfterMs: rate.retryAfterMs,
        },
        extra,
      );
    // The requester's own limits come first, before anything costs (a name lookup, an audit
    // entry of a refusal): a user cannot flood the resolver or the audit log past them.
    const own = await this.deps.rates.take(this.requesterChecks(config, ask.actor));
    if (!own.ok) return limited(own);
    const parsed = parseProbeSpec(ask.target, config.targets);
    if (!parsed.ok) return refuse({ code: 'bad_request', status: 400, message: parsed.message, field: 'target' });
    const unknownRegions = (ask.regions ?? []).filter((region) => !config.regions.includes(region));
    if (unknownRegions.length > 0) {
      return refuse({
        code: 'bad_request',
        status: 400,
        field: 'regions',
        message: `unknown region${unknownRegions.length > 1 ? 's' : ''} ${unknownRegions.join(', ')} (regions: ${config.regions.join(', ')})`,
      });
    }
    const authorized = await authorizeProbe(parsed.spec, config, this.deps.resolve);
    if (!authorized.ok) {
      return refuse({
        code: authorized.code,
        status: authorized.code === 'not_allowed' ? 403 : 422,
        message: authorized.message,
      });
    }
    const probe = authorized.probe;
    const wanted = [...new Set(ask.regions?.length ? ask.regions : probe.defaultRegions)];
    const live = await this.deps.liveRegions();
    const regions = wanted.filter((region) => live.has(region));
    const noRunner = wanted.filter((region) => !live.has(region));
    if (regions.length === 0) {
      return refuse(
        { code: 'no_runner', status: 503, message: `no live runner in ${wanted.join(', ')}` },
        { addresses: probe.addresses, regions: wanted },
      );
    }
    // Per target, each address counts on its own (however it was spelled), once per source port.
    const perTarget = config.onDemand.rateLimits.perTarget;
    const cost = ask.sourcePorts ?? 1;
    if (cost > perTarget.count) {
      return refuse(
        {
          code: 'rate_limited',
          status: 429,
          message: `${cost} source ports is more than on_demand.rate_limits.per_target allows at once (${perTarget.count})`,
        },
        { addresses: probe.addresses, regions },
      );
    }
    const rate = await this.deps.rates.take(
      probe.rateKeys.map((key) => ({ key: `target:${key}`, limit: perTarget, cost })),
    );
    if (!rate.ok) return limited(rate, { addresses: probe.addresses, regions });
    const id = randomUUID();
    const startedAtMs = this.now();
    const jobTargets = probe.jobTargets.map((t) =>
      ask.sourcePorts && ask.sourcePorts > 1 ? { ...t, sourcePorts: ask.sourcePorts } : t,
    );
    const report: ProbeReport = {
      id,
      status: 'running',
      requestedBy: actorLabel(ask.actor),
      requestedAtMs: startedAtMs,
      finishedAtMs: null,
      deadlineMs: startedAtMs + Math.max(...jobTargets.map((t) => t.timeoutMs)) + WAIT_MARGIN_MS,
      target: {
        name: probe.name,
        configured: probe.configured,
        display: probe.display,
        port: jobTargets[0]?.port ?? 0,
        addresses: probe.addresses,
      },
      regions,
      noRunner,
      missing: [],
      byRegion: {},
      diagnosis: null,
      traceId: this.deps.traceIdOf(id),
    };
    // Audited before anything is stored or queued: nothing runs that the log does not show.
    await this.deps.audit.record({
      atMs: startedAtMs,
      actor: ask.actor,
      action: 'probe',
      target: ask.target,
      addresses: probe.addresses,
      regions,
      decision: 'allowed',
      requestId: id,
      ...(ask.ip ? { ip: ask.ip } : {}),
    });
    await this.save(report);
    const done = this.finish(report, probe, jobTargets);
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return { ok: true, report, done };
  }

  /** A stored report, or `null` when unknown or expired; a running one past its deadline is `abandoned`. */
  async get(id: string): Promise<ProbeReport | null> {
    const text = await this.deps.redis.get(this.key(id));
    if (text === null) return null;
    const report = JSON.parse(text) as ProbeReport;
    if (report.status === 'running' && this.now() > report.deadlineMs + GRACE_MS) report.status = 'abandoned';
    return report;
  }

  /**
   * Stops taking probes and waits for the ones in progress (on shutdown). A probe cut short by
   * the stop ends `abandoned`, not "every region missing": the regions did not fail to answer.
   */
  async drain(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.running]);
  }

  private async finish(
    report: ProbeReport,
    probe: AuthorizedProbe,
    targets: Omit<ProbeJobTarget, 'atMs'>[],
  ): Promise<ProbeReport> {
    let final: ProbeReport;
    try {
      const result = await this.deps.run({ targets, regions: report.regions, requestId: report.id });
      const diagnosis = probe.configured ? await this.deps.diagnosisOf(probe.name).catch(() => null) : null;
      final = {
        ...report,
        status: 'done',
        finishedAtMs: this.now(),
        missing: result.missing,
        byRegion: result.byRegion,
        diagnosis: diagnosis ? reportDiagnosis(diagnosis) : null,
      };
    } catch (error) {
      this.deps.logger.warn({ requestId: report.id, err: (error as Error).message }, 'on-demand probe failed');
      final = {
        ...report,
        status: this.closing ? 'abandoned' : 'done',
        finishedAtMs: this.now(),
        missing: report.regions,
      };
    }
    await this.save(final).catch((error: Error) =>
      this.deps.logger.warn({ requestId: report.id, err: error.message }, 'probe report not stored'),
    );
    return final;
  }

  private requesterChecks(config: SynackConfig, actor: Actor): RateCheck[] {
    const limits = config.onDemand.rateLimits;
    if (actor.via === 'slack') {
      return [
        { key: `user:slack:${actor.team}:${actor.user}`, limit: limits.perUser },
        { key: `channel:slack:${actor.team}:${actor.channel}`, limit: limits.perChannel },
      ];
    }
    if (actor.via === 'api') return [{ key: `user:token:${actor.token}`, limit: limits.perUser }];
    // Not reachable through the routes (probing needs a token or a Slack signature); limited anyway.
    return [{ key: `user:ip:${actor.ip}`, limit: limits.perUser }];
  }

  private async save(report: ProbeReport): Promise<void> {
    await this.deps.redis.set(this.key(report.id), JSON.stringify(report), 'EX', REPORT_TTL_S);
  }

  private key(id: string): string {
    return `${this.deps.config().prefix}:probe-report:${id}`;
  }
}

function reportDiagnosis(record: DiagnosisRecord): ReportDiagnosis {
  return {
    verdict: record.verdict,
    scope: record.scope,
    evidence: record.evidence,
    next: record.next,
    status: record.status,
    openedAtMs: record.openedAtMs,
    updatedAtMs: record.updatedAtMs,
  };
}
