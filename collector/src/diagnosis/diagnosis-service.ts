import { randomUUID } from 'node:crypto';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import type { Cluster, Redis } from 'ioredis';
import { agentView } from '../agents/agent-view.ts';
import { SnapshotStore } from '../agents/snapshot-store.ts';
import { groupAttempts } from './attempt-groups.ts';
import { diagnose } from './diagnose.ts';
import { type DiagnosisRecord, nextDiagnosisState } from './diagnosis-state.ts';
import { DiagnosisStore } from './diagnosis-store.ts';
import { gatherEvidence } from './gather-evidence.ts';
import type { PathTracer } from './path-tracer.ts';

/** How far back attempts count as the current evidence. */
export const DIAGNOSIS_WINDOW_MS = 30_000;
/** How long a collector keeps a target it diagnoses after its last tick (another takes it over then). */
const TARGET_LEASE_MS = 5_000;
/** A failing target's agent snapshot older than this is refreshed on request. */
const SNAPSHOT_FRESH_MS = 3_000;
/** While a failure waits for a snapshot that covers it, snapshots are asked for this often. */
const SNAPSHOT_RETRY_MS = 1_000;
/** How long a verdict waits for a snapshot that covers the failure before it goes without one. */
const AGENT_WAIT_MS = 8_000;
/** How far before a failure's first attempt the agent's counters may start. */
const SPAN_SLACK_MS = 1_000;
/** Time for a SYN to reach the server: an attempt this long before a snapshot is in its counters. */
const SYN_TRANSIT_MS = 100;

export type DiagnosisServiceOptions = {
  config: () => SynackConfig;
  redis: Redis | Cluster;
  logger: Logger;
  /** How often failing targets are re-diagnosed. Default 1 s. */
  tickMs?: number;
  now?: () => number;
  /** Traceroutes from failing regions when the path is suspected; none without it. */
  tracer?: PathTracer;
};

/**
 * Re-diagnoses, every tick, each target that is failing (the collector's failing set) or has an
 * open diagnosis, and records what changed: opened, updated (a sharper verdict, a wider scope),
 * resolved once every region answers again.
 */
export class DiagnosisService {
  readonly stats = { runs: 0, opened: 0, resolved: 0, errors: 0 };
  readonly store: DiagnosisStore;
  readonly snapshots: SnapshotStore;
  private readonly options: DiagnosisServiceOptions;
  private readonly requestedAt = new Map<string, number>();
  private readonly instance = randomUUID();
  /** Snapshot reads of the current round, by agent (none outside a round). */
  private roundSnapshots: Map<string, Promise<AgentSnapshot[]>> | undefined;
  /** Targets whose verdict waits for a snapshot covering their failure, since when. */
  private readonly awaiting = new Map<string, { failureStartMs: number; since: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(options: DiagnosisServiceOptions) {
    this.options = options;
    this.store = new DiagnosisStore(options.redis, () => options.config().prefix);
    this.snapshots = new SnapshotStore(options.redis, () => options.config().prefix);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => {
        this.running = undefined;
      });
    }, this.options.tickMs ?? 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.options.tracer?.stop();
  }

  /** Diagnoses one target now and records the result; returns its current record. */
  async diagnoseTarget(name: string): Promise<DiagnosisRecord | null> {
    const config = this.options.config();
    const target = config.targets.find((t) => t.name === name);
    if (!target) return null;
    const now = (this.options.now ?? Date.now)();
    const input = await gatherEvidence(
      this.options.redis,
      config.prefix,
      target,
      config.collector.historyPerSeries,
      now,
      DIAGNOSIS_WINDOW_MS,
    );
    // Too little to go on (no attempt in the window yet): keep what is recorded.
    if (input.attempts.length === 0) return this.store.current(name);
    const { failing, failureStartMs } = groupAttempts(input.attempts);
    const agent = config.agents.find((a) => a.targets.includes(name));
    if (agent) {
      // Snapshots may start up to SPAN_SLACK_MS before the failure: a snapshot a second spans the
      // first failed SYN at once, at the price of a second of what came before.
      const from = failureStartMs === null ? now - DIAGNOSIS_WINDOW_MS : failureStartMs - SPAN_SLACK_MS;
      const snapshots = await this.agentSnapshots(agent.id, now);
      const view = agentView(snapshots, from, now);
      // The server's view must cover the failure: snapshots whose deltas lie inside it (give or
      // take the slack), spanning at least one failed attempt (whose SYN, if it reached the server, is counted).
      // Until then the verdict waits, asking for snapshots: an older one describes the server
      // before the fault, and would mislead. ICMP errors and local errors are read without it.
      const agentMatters = failing.some((g) => g.failure === 'silent' || g.failure === 'rst');
      const covered =
        !agentMatters ||
        (view !== null &&
          failing.some((g) =>
            g.streak.some((a) => a.startedAtMs >= view.span.fromMs && a.startedAtMs + SYN_TRANSIT_MS <= view.span.toMs),
          ));
      const throttle = covered ? SNAPSHOT_FRESH_MS : SNAPSHOT_RETRY_MS;
      const latest = snapshots.at(-1)?.atMs ?? 0;
      if (now - latest > throttle && now - (this.requestedAt.get(agent.id) ?? 0) > throttle) {
        this.requestedAt.set(agent.id, now);
        await this.snapshots.request(agent.id);
      }
      if (covered) {
        this.awaiting.delete(name);
        input.agent = view;
      } else {
        const waiting = this.awaiting.get(name);
        const since = waiting?.failureStartMs === failureStartMs ? waiting.since : now;
        this.awaiting.set(name, { failureStartMs: failureStartMs ?? 0, since });
        if (now - since < AGENT_WAIT_MS) return this.store.current(name);
        input.agentMissing = latest
          ? `no snapshot covers the failure (agent ${agent.id} last reported ${Math.round((now - latest) / 1000)} s ago): the server, or its way to the collector, may be down`
          : `agent ${agent.id} has not reported`;
      }
    }
    const tracer = this.options.tracer;
    if (tracer && failureStartMs !== null) input.traces = await tracer.traces(name, failureStartMs);
    const diagnosis = diagnose(input);
    // The path is suspected: SYNs lost before the server, or silence the server cannot explain.
    if (
      tracer &&
      (diagnosis.verdict === 'network_path_drop' ||
        (diagnosis.verdict === 'unknown' && failing.every((g) => g.failure === 'silent')))
    ) {
      await tracer.request(
        target,
        failing.filter((g) => diagnosis.scope.regions.includes(g.region)),
      );
    }
    const current = await this.store.current(name);
    const next = nextDiagnosisState(name, current, diagnosis, now);
    this.stats.runs++;
    if (next && next !== current) {
      if (next.status === 'open' && current?.status !== 'open') {
        this.stats.opened++;
        this.options.logger.warn({ target: name, verdict: next.verdict, scope: next.scope }, 'diagnosis opened');
      } else if (next.status === 'resolved' && current?.status === 'open') {
        this.stats.resolved++;
        this.options.logger.info({ target: name, verdict: next.verdict }, 'diagnosis resolved');
      }
      if (
        !current ||
        current.verdict !== next.verdict ||
        current.status !== next.status ||
        scopeKey(current) !== scopeKey(next)
      ) {
        await this.store.save(next);
      } else {
        await this.options.redis.hset(`${config.prefix}:diag`, name, JSON.stringify(next));
      }
    }
    return next ?? current;
  }

  /**
   * One collector diagnoses a target at a time: it holds a lease on it, renewed each tick, so the
   * log shows each change once and waiting for the agent is not restarted by another collector.
   * When the holder stops, another takes the target over once the lease lapses.
   */
  private async holdTarget(prefix: string, name: string): Promise<boolean> {
    const key = `${prefix}:diag-owner:${name}`;
    const ms = TARGET_LEASE_MS;
    if ((await this.options.redis.set(key, this.instance, 'PX', ms, 'NX')) === 'OK') return true;
    if ((await this.options.redis.get(key)) !== this.instance) return false;
    await this.options.redis.pexpire(key, ms);
    return true;
  }

  /**
   * An agent's snapshots of the last two windows (all a diagnosis reads: its failure began within
   * the window, and the firewall counts from the snapshot before), once per round.
   */
  private async agentSnapshots(agentId: string, now: number) {
    const cached = this.roundSnapshots?.get(agentId);
    if (cached) return cached;
    const read = this.snapshots.since(agentId, now - 2 * DIAGNOSIS_WINDOW_MS - SPAN_SLACK_MS);
    this.roundSnapshots?.set(agentId, read);
    return read;
  }

  private async tick(): Promise<void> {
    const config = this.options.config();
    try {
      const failing = await this.options.redis.hkeys(`${config.prefix}:failing`);
      const open = await this.store.openTargets();
      // An agent serves many targets: its snapshots are read once a round, not once a target.
      this.roundSnapshots = new Map();
      for (const name of new Set([...failing, ...open])) {
        if (await this.holdTarget(config.prefix, name)) await this.diagnoseTarget(name);
      }
    } catch (error) {
      this.stats.errors++;
      this.options.logger.warn({ err: (error as Error).message }, 'diagnosis round failed; next tick retries');
    } finally {
      this.roundSnapshots = undefined;
    }
  }
}

function scopeKey(d: DiagnosisRecord): string {
  return `${d.scope.families.join(',')}|${d.scope.regions.join(',')}`;
}
