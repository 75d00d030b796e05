import { context, type Span, SpanKind, SpanStatusCode, type TracerProvider, trace } from '@opentelemetry/api';
import type { IngestedAttempt } from '../ingest/results-consumer.ts';
import { type AttemptSpan, attemptSpan } from './attempt-span.ts';
import { keepSuccess } from './keep-success.ts';

/** A diagnosis as a failed attempt's span carries it. */
export type SpanDiagnosis = { verdict: string; summary: string; updatedAtMs: number };

export type AttemptTracerOptions = {
  provider: TracerProvider;
  /** Share of successful scheduled attempts traced (0..1); failures and on-demand probes always are. */
  successSampleRatio: number;
  /** The target's open diagnosis, if any. */
  diagnosisOf: (target: string) => Promise<SpanDiagnosis | null>;
  /** The attempt's timeout, for the end of a silent attempt's span. */
  timeoutOf: (target: string) => number;
  /** How long a failed attempt's span waits for a diagnosis before it goes without one. Default 15 s. */
  diagnosisWaitMs?: number;
  /** Failed spans held at most; past it the oldest goes out at once, without its diagnosis. Default 10,000. */
  maxPending?: number;
  /** How long an on-demand request gathers its regions' attempts after the last one came. Default 2 s. */
  requestSettleMs?: number;
  pollMs?: number;
  now?: () => number;
  onError?: (error: Error) => void;
};

type Pending = { attempt: IngestedAttempt; arrivedMs: number };
type Request = { attempts: IngestedAttempt[]; firstMs: number; lastMs: number };

/**
 * Turns ingested attempts into OpenTelemetry spans, one trace per attempt: sampled at the
 * collector, which knows the outcome (every failure, a fraction of successes); a failure's span
 * waits, for a bounded time, for the diagnosis to name its cause; an on-demand probe across
 * regions is one trace, a parent span with a child per region's attempt. Nothing waits forever:
 * the pending set is bounded and drained on `stop()`.
 */
export class AttemptTracer {
  private readonly options: Required<Omit<AttemptTracerOptions, 'onError'>> & Pick<AttemptTracerOptions, 'onError'>;
  private readonly tracer;
  private readonly pending = new Map<string, Pending[]>();
  private pendingCount = 0;
  private readonly requests = new Map<string, Request>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  readonly stats = { spans: 0, sampledOut: 0, withDiagnosis: 0, diagnosisTimeouts: 0, pendingOverflow: 0 };

  constructor(options: AttemptTracerOptions) {
    this.options = {
      diagnosisWaitMs: 15_000,
      maxPending: 10_000,
      requestSettleMs: 2000,
      pollMs: 1000,
      now: Date.now,
      ...options,
    };
    this.tracer = options.provider.getTracer('synack-collector');
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.polling ??= this.poll().finally(() => {
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
    for (const id of [...this.requests.keys()]) this.emitRequest(id);
  }

  /** Takes the batch's newly ingested attempts (the results consumer's observer). */
  observe(attempts: readonly IngestedAttempt[]): void {
    const now = this.options.now();
    for (const attempt of attempts) {
      if (attempt.requestId) {
        const request = this.requests.get(attempt.requestId) ?? { attempts: [], firstMs: now, lastMs: now };
        request.attempts.push(attempt);
        request.lastMs = now;
        this.requests.set(attempt.requestId, request);
      } else if (attempt.record.outcome === 'synack' || attempt.record.outcome === 'established') {
        if (keepSuccess(attempt.record.id, this.options.successSampleRatio)) this.emit(attempt, null);
        else this.stats.sampledOut++;
      } else this.hold(attempt, now);
    }
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

  /** One round: emits what has its diagnosis or has waited long enough, and settled requests. */
  async poll(): Promise<void> {
    const now = this.options.now();
    for (const [target, list] of [...this.pending]) {
      let diagnosis: SpanDiagnosis | null = null;
      try {
        diagnosis = await this.options.diagnosisOf(target);
      } catch (error) {
        this.options.onError?.(error as Error);
      }
      const keep: Pending[] = [];
      for (const p of list) {
        const endMs = Date.parse(p.attempt.record.startedAt) + this.options.timeoutOf(target);
        // A diagnosis made (or sharpened) after the attempt began speaks for it.
        if (diagnosis && diagnosis.updatedAtMs >= Date.parse(p.attempt.record.startedAt)) {
          this.stats.withDiagnosis++;
          this.emit(p.attempt, diagnosis);
        } else if (
          now - p.arrivedMs >= this.options.diagnosisWaitMs ||
          now - endMs >= 2 * this.options.diagnosisWaitMs
        ) {
          this.stats.diagnosisTimeouts++;
          this.emit(p.attempt, null);
        } else keep.push(p);
      }
      this.pendingCount -= list.length - keep.length;
      if (keep.length > 0) this.pending.set(target, keep);
      else this.pending.delete(target);
    }
    for (const [id, request] of [...this.requests]) {
      if (now - request.lastMs >= this.options.requestSettleMs || now - request.firstMs >= 30_000) this.emitRequest(id);
    }
  }

  private emit(attempt: IngestedAttempt, diagnosis: SpanDiagnosis | null, parent?: Span): void {
    try {
      const description = attemptSpan(attempt.record, {
        region: attempt.region,
        runnerId: attempt.runnerId,
        timeoutMs: this.options.timeoutOf(attempt.record.target.name),
        ...(diagnosis ? { diagnosis: { verdict: diagnosis.verdict, summary: diagnosis.summary } } : {}),
      });
      this.record(description, parent);
      this.stats.spans++;
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  private record(s: AttemptSpan, parent?: Span): void {
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    const span = this.tracer.startSpan(
      s.name,
      { kind: SpanKind.CLIENT, startTime: s.startTimeMs, attributes: s.attributes, root: !parent },
      ctx,
    );
    for (const event of s.events) span.addEvent(event.name, event.attributes ?? {}, event.timeMs);
    // Success leaves the status unset, as the semantic conventions ask of instrumentations.
    if (s.status.code === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: s.status.message });
    span.end(s.endTimeMs);
  }

  /** One trace for an on-demand request: a parent span over its regions' attempts. */
  private emitRequest(id: string): void {
    const request = this.requests.get(id);
    this.requests.delete(id);
    if (!request || request.attempts.length === 0) return;
    try {
      const children = request.attempts.map((a) => ({
        attempt: a,
        span: attemptSpan(a.record, {
          region: a.region,
          runnerId: a.runnerId,
          timeoutMs: this.options.timeoutOf(a.record.target.name),
        }),
      }));
      const first = children[0]?.span as AttemptSpan;
      const failed = children.filter((c) => c.span.status.code === 'error');
      const parent = this.tracer.startSpan(
        'synack probe',
        {
          kind: SpanKind.INTERNAL,
          root: true,
          startTime: Math.min(...children.map((c) => c.span.startTimeMs)),
          attributes: {
            'server.address': String(first.attributes['server.address']),
            'server.port': Number(first.attributes['server.port']),
            'synthetic.type': 'test',
            'synack.request.id': id,
            'synack.regions': [...new Set(request.attempts.map((a) => a.region))].sort(),
            'synack.attempts': children.length,
            'synack.attempts.failed': failed.length,
          },
        },
        context.active(),
      );
      // Several attempts of one region, kind and address are a `--source-ports` spread: a span
      // over them, with a child per source port.
      const groups = new Map<string, typeof children>();
      for (const child of children) {
        const r = child.attempt.record;
        const key = `${child.attempt.region}|${r.kind}|${r.target.address}`;
        groups.set(key, [...(groups.get(key) ?? []), child]);
      }
      for (const group of groups.values()) {
        const [head] = group;
        if (!head) continue;
        if (group.length === 1) {
          this.record(head.span, parent);
          this.stats.spans++;
          continue;
        }
        const groupFailed = group.filter((c) => c.span.status.code === 'error');
        const spread = this.tracer.startSpan(
          `${head.span.name} spread`,
          {
            kind: SpanKind.INTERNAL,
            startTime: Math.min(...group.map((c) => c.span.startTimeMs)),
            attributes: {
              'server.address': String(head.span.attributes['server.address']),
              'network.peer.address': head.attempt.record.target.address,
              'synack.region': head.attempt.region,
              'synack.probe.kind': head.attempt.record.kind,
              'synack.source_ports': group.length,
              'synack.attempts.failed': groupFailed.length,
            },
          },
          trace.setSpan(context.active(), parent),
        );
        for (const child of group) {
          this.record(child.span, spread);
          this.stats.spans++;
        }
        if (groupFailed.length > 0)
          spread.setStatus({
            code: SpanStatusCode.ERROR,
            message: `${groupFailed.length} of ${group.length} source ports failed`,
          });
        spread.end(Math.max(...group.map((c) => c.span.endTimeMs)));
        this.stats.spans++;
      }
      if (failed.length > 0)
        parent.setStatus({
          code: SpanStatusCode.ERROR,
          message: `${failed.length} of ${children.length} attempts failed (${[...new Set(failed.map((c) => c.attempt.region))].join(', ')})`,
        });
      parent.end(Math.max(...children.map((c) => c.span.endTimeMs)));
      this.stats.spans++;
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }
}
