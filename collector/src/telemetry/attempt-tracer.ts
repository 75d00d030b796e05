import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { IngestedAttempt } from '../ingest/results-consumer.ts';
import { type AttemptSpan, attemptSpan } from './attempt-span.ts';
import { keepSuccess } from './keep-success.ts';
import { type DerivedIdGenerator, requestSpanIds } from './request-ids.ts';
import { MemoryRequestStore, type RequestStore, type RequestTotals } from './request-store.ts';

/** A diagnosis as a failed attempt's span carries it: only for the regions and families in its scope. */
export type SpanDiagnosis = {
  verdict: string;
  summary: string;
  updatedAtMs: number;
  scope: { regions: readonly string[]; families: readonly string[] };
};

export type AttemptTracerOptions = {
  provider: TracerProvider;
  /** The provider's id generator: an on-demand request's root and spread spans get derived ids. */
  ids: DerivedIdGenerator;
  /** Share of successful scheduled attempts traced (0..1); failures, SLO-bad and on-demand ones always are. */
  successSampleRatio: number;
  /** The target's open diagnosis, if any. */
  diagnosisOf: (target: string) => Promise<SpanDiagnosis | null>;
  /** The target's timeout (a silent attempt's span ends there) and its address as configured. */
  targetOf: (name: string) => { timeoutMs: number; address?: string };
  /**
   * Whether this collector emits a request's shared span (`key`): true for one collector only,
   * so a request handled by several shows its root once. Default: always (one collector).
   */
  claim?: (key: string) => Promise<boolean>;
  /** How long a failed attempt's span waits for a diagnosis before it goes without one. Default 15 s. */
  diagnosisWaitMs?: number;
  /** Failed spans held at most; past it the oldest goes out at once, without its diagnosis. Default 10,000. */
  maxPending?: number;
  /** Where on-demand requests' attempts are added up for their parent spans. Default: in memory. */
  requestStore?: RequestStore;
  /** Requests gathered at most; past it the oldest is closed at once. Default 1,000. */
  maxRequests?: number;
  /** How long after its target's timeout a request's parent span closes. Default 3 s. */
  requestSettleMs?: number;
  pollMs?: number;
  now?: () => number;
  onError?: (error: Error) => void;
};

type Pending = { attempt: IngestedAttempt; arrivedMs: number };
/** An on-demand request seen here: when its parents go out, its first part, and its spreads' first parts. */
type Request = { closeAtMs: number; head: IngestedAttempt; spreads: Map<string, IngestedAttempt> };

/**
 * Turns ingested attempts into OpenTelemetry spans, one trace per attempt. Sampled at the
 * collector, which knows the outcome: every failure and every attempt over its SLO threshold, a
 * fraction of the rest. A failure's span waits, for a bounded time, for the diagnosis of its
 * region and family. An on-demand probe is one trace whose ids derive from its request id: a
 * parent span, a child per region's attempt, and for `--source-ports N` a span over the ports with
 * a child each; several collectors handling parts of it fill the same trace. Nothing waits
 * forever: what is held is bounded and sent on `stop()`.
 */
export class AttemptTracer {
  private readonly options: Required<Omit<AttemptTracerOptions, 'onError' | 'claim'>> &
    Pick<AttemptTracerOptions, 'onError' | 'claim'>;
  private readonly tracer;
  private readonly pending = new Map<string, Pending[]>();
  private pendingCount = 0;
  private readonly requests = new Map<string, Request>();
  // Requests whose parents went out here: a late part only adds its own span (bounded).
  private readonly closed = new Set<string>();
  private readonly adds = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  readonly stats = { spans: 0, sampledOut: 0, withDiagnosis: 0, diagnosisTimeouts: 0, pendingOverflow: 0 };

  constructor(options: AttemptTracerOptions) {
    this.options = {
      diagnosisWaitMs: 15_000,
      maxPending: 10_000,
      maxRequests: 1000,
      requestSettleMs: 3000,
      pollMs: 1000,
      now: Date.now,
      requestStore: new MemoryRequestStore(),
      ...options,
    };
    this.tracer = options.provider.getTracer('synack-collector');
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.polling ??= this.poll()
        .catch((error: Error) => this.options.onError?.(error))
        .finally(() => {
          this.polling = undefined;
        });
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** Emits every held span now (without a diagnosis still to come) and stops the timer. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
    for (const [target, list] of this.pending) {
      this.pending.delete(target);
      for (const p of list) this.emit(p.attempt, null);
    }
    this.pendingCount = 0;
    await Promise.all([...this.requests.keys()].map((id) => this.closeRequest(id)));
  }

  /** Takes the batch's newly ingested attempts (the results consumer's observer). */
  observe(attempts: readonly IngestedAttempt[]): void {
    const now = this.options.now();
    const onDemand = new Map<string, IngestedAttempt[]>();
    for (const attempt of attempts) {
      if (attempt.requestId) {
        const key = `${attempt.requestId}|${attempt.region}|${attempt.record.kind}|${attempt.record.target.address}`;
        onDemand.set(key, [...(onDemand.get(key) ?? []), attempt]);
      } else if (isFailure(attempt)) this.hold(attempt, now);
      // Answered but over the SLO threshold: the spans that explain a burning budget are kept.
      else if (attempt.slo === 'bad' || keepSuccess(attempt.record.id, this.options.successSampleRatio))
        this.emit(attempt, null);
      else this.stats.sampledOut++;
    }
    for (const group of onDemand.values()) this.emitRequestPart(group, now);
  }

  /** Failed spans still waiting for a diagnosis. */
  get pendingSpans(): number {
    return this.pendingCount;
  }

  private hold(attempt: IngestedAttempt, now: number): void {
    if (this.pendingCount >= this.options.maxPending) {
      // Bounded: the oldest goes out now, without its diagnosis, rather than being lost.
      const [target, list] = this.pending.entries().next().value ?? [];
      const oldest = list?.shift();
      if (oldest && target !== undefined) {
        if (list?.length === 0) this.pending.delete(target);
        this.pendingCount--;
        this.stats.pendingOverflow++;
        this.emit(oldest.attempt, null);
      }
    }
    const name = attempt.record.target.name;
    const list = this.pending.get(name) ?? [];
    list.push({ attempt, arrivedMs: now });
    this.pending.set(name, list);
    this.pendingCount++;
  }

  /** One round: emits what has its diagnosis or has waited long enough, and closes settled requests. */
  async poll(): Promise<void> {
    const now = this.options.now();
    for (const target of [...this.pending.keys()]) {
      let diagnosis: SpanDiagnosis | null = null;
      try {
        diagnosis = await this.options.diagnosisOf(target);
      } catch (error) {
        this.options.onError?.(error as Error);
      }
      // Read again after the wait: `hold` may have changed the list meanwhile.
      const list = this.pending.get(target) ?? [];
      const keep: Pending[] = [];
      for (const p of list) {
        const startedMs = Date.parse(p.attempt.record.startedAt);
        if (diagnosis && diagnosis.updatedAtMs >= startedMs && covers(diagnosis, p.attempt)) {
          this.stats.withDiagnosis++;
          this.emit(p.attempt, diagnosis);
        } else if (now - p.arrivedMs >= this.options.diagnosisWaitMs) {
          this.stats.diagnosisTimeouts++;
          this.emit(p.attempt, null);
        } else keep.push(p);
      }
      this.pendingCount -= list.length - keep.length;
      if (keep.length > 0) this.pending.set(target, keep);
      else this.pending.delete(target);
    }
    for (const [id, request] of [...this.requests]) if (now >= request.closeAtMs) await this.closeRequest(id);
  }

  private describe(attempt: IngestedAttempt, diagnosis: SpanDiagnosis | null, timeoutMs?: number): AttemptSpan {
    const target = this.options.targetOf(attempt.record.target.name);
    return attemptSpan(attempt.record, {
      region: attempt.region,
      runnerId: attempt.runnerId,
      timeoutMs: timeoutMs ?? target.timeoutMs,
      ...(target.address ? { serverAddress: target.address } : {}),
      ...(diagnosis ? { diagnosis: { verdict: diagnosis.verdict, summary: diagnosis.summary } } : {}),
    });
  }

  private emit(attempt: IngestedAttempt, diagnosis: SpanDiagnosis | null): void {
    try {
      this.record(this.describe(attempt, diagnosis), ROOT_CONTEXT, true);
      this.stats.spans++;
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  private record(s: AttemptSpan, parent: Context, root = false): Span {
    const span = this.tracer.startSpan(
      s.name,
      { kind: SpanKind.CLIENT, startTime: s.startTimeMs, attributes: s.attributes, root },
      parent,
    );
    for (const event of s.events) span.addEvent(event.name, event.attributes ?? {}, event.timeMs);
    // Success leaves the status unset, as the semantic conventions ask of instrumentations.
    if (s.status.code === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: s.status.message });
    span.end(s.endTimeMs);
    return span;
  }

  /**
   * Attempts of an on-demand request: their spans go out now, under the request's derived parent,
   * or under their spread's when the job spread over source ports; they are added up in the
   * request store for the parent spans, which go out once the request has settled.
   */
  private emitRequestPart(group: IngestedAttempt[], now: number): void {
    const [head] = group;
    if (!head?.requestId) return;
    const requestId = head.requestId;
    try {
      const root = requestSpanIds(requestId);
      const key = `${head.region}|${head.record.kind}|${head.record.target.address}`;
      const spread = (head.sourcePorts ?? 1) > 1;
      const ids = spread ? requestSpanIds(requestId, key) : root;
      const parent = remote(ids.traceId, ids.spanId);
      const parts = group.map((attempt) => {
        const span = this.describe(attempt, null, attempt.timeoutMs);
        this.record(span, parent);
        this.stats.spans++;
        return {
          group: spread ? key : '',
          region: attempt.region,
          startMs: span.startTimeMs,
          endMs: span.endTimeMs,
          failed: span.status.code === 'error',
        };
      });
      const adding: Promise<void> = this.options.requestStore
        .add(requestId, parts)
        .catch((error: Error) => this.options.onError?.(error))
        .finally(() => this.adds.delete(adding));
      this.adds.add(adding);
      if (this.closed.has(requestId)) return;
      let request = this.requests.get(requestId);
      if (!request) {
        if (this.requests.size >= this.options.maxRequests) {
          const oldest = this.requests.keys().next().value;
          if (oldest !== undefined) void this.closeRequest(oldest);
        }
        const timeoutMs = head.timeoutMs ?? this.options.targetOf(head.record.target.name).timeoutMs;
        request = { closeAtMs: now + timeoutMs + this.options.requestSettleMs, spreads: new Map(), head };
        this.requests.set(requestId, request);
      }
      if (spread) request.spreads.set(key, head);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  /**
   * The request's parent span, and its spreads', from every collector's parts, if this collector
   * is the one to send them; the request then counts as closed here.
   */
  private async closeRequest(id: string): Promise<void> {
    const request = this.requests.get(id);
    this.requests.delete(id);
    this.closed.add(id);
    if (this.closed.size > 4 * this.options.maxRequests) {
      const oldest = this.closed.values().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
    if (!request) return;
    try {
      // Parts still being added here count too.
      await Promise.all(this.adds);
      const root = requestSpanIds(id);
      for (const [key, head] of request.spreads) {
        if (!(await this.claimed(`${id}|${key}`))) continue;
        const totals = await this.options.requestStore.read(id, key);
        if (totals) this.emitSpread(requestSpanIds(id, key), remote(root.traceId, root.spanId), head, totals);
      }
      if (!(await this.claimed(id))) return;
      const totals = await this.options.requestStore.read(id, '');
      if (totals) this.emitRoot(id, request.head, totals);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  private emitSpread(
    ids: { traceId: string; spanId: string },
    parent: Context,
    head: IngestedAttempt,
    totals: RequestTotals,
  ): void {
    const target = this.options.targetOf(head.record.target.name);
    const span = this.options.ids.withIds(ids, () =>
      this.tracer.startSpan(
        `tcp ${head.record.kind} spread`,
        {
          kind: SpanKind.INTERNAL,
          startTime: totals.startMs,
          attributes: {
            'server.address': target.address ?? head.record.target.address,
            'network.peer.address': head.record.target.address,
            'synack.target': head.record.target.name,
            'synack.region': head.region,
            'synack.probe.kind': head.record.kind,
            'synack.source_ports': totals.attempts,
            'synack.attempts.failed': totals.failed,
          },
        },
        parent,
      ),
    );
    if (totals.failed > 0)
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: `${totals.failed} of ${totals.attempts} source ports failed`,
      });
    span.end(totals.endMs);
    this.stats.spans++;
  }

  private emitRoot(id: string, head: IngestedAttempt, totals: RequestTotals): void {
    const name = head.record.target.name;
    const root = this.options.ids.withIds(requestSpanIds(id), () =>
      this.tracer.startSpan(
        'synack probe',
        {
          kind: SpanKind.INTERNAL,
          root: true,
          startTime: totals.startMs,
          attributes: {
            'server.address': this.options.targetOf(name).address ?? head.record.target.address,
            'server.port': head.record.target.port,
            'synack.target': name,
            'synthetic.type': 'test',
            'synack.request.id': id,
            'synack.regions': totals.regions,
            'synack.attempts': totals.attempts,
            'synack.attempts.failed': totals.failed,
          },
        },
        ROOT_CONTEXT,
      ),
    );
    if (totals.failed > 0)
      root.setStatus({ code: SpanStatusCode.ERROR, message: `${totals.failed} of ${totals.attempts} attempts failed` });
    root.end(totals.endMs);
    this.stats.spans++;
  }

  private async claimed(key: string): Promise<boolean> {
    if (!this.options.claim) return true;
    try {
      return await this.options.claim(key);
    } catch (error) {
      this.options.onError?.(error as Error);
      return false;
    }
  }
}

function isFailure(attempt: IngestedAttempt): boolean {
  return attempt.record.outcome !== 'synack' && attempt.record.outcome !== 'established';
}

function covers(diagnosis: SpanDiagnosis, attempt: IngestedAttempt): boolean {
  const { regions, families } = diagnosis.scope;
  return (
    (regions.length === 0 || regions.includes(attempt.region)) &&
    (families.length === 0 || families.includes(attempt.record.target.family))
  );
}

function remote(traceId: string, spanId: string): Context {
  return trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
}
