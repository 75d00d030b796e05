import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import type { IngestedAttempt } from '../ingest/results-consumer.ts';
import { AttemptTracer, type SpanDiagnosis } from './attempt-tracer.ts';
import { DerivedIdGenerator, requestSpanIds } from './request-ids.ts';
import { MemoryRequestStore } from './request-store.ts';

const START = Date.UTC(2026, 10, 23, 12, 0, 0);

function attempt(over: {
  id: string;
  outcome: 'synack' | 'timeout';
  region?: string;
  requestId?: string;
  atMs?: number;
}): IngestedAttempt {
  const answered = over.outcome === 'synack';
  const record: AttemptRecord = {
    v: 1,
    id: over.id,
    kind: 'syn',
    target: { name: 'web', address: '192.0.2.10', port: 443, family: 'v4' },
    source: { address: '192.0.2.1', port: 40_001 },
    startedAt: new Date(over.atMs ?? START).toISOString(),
    synSentUs: answered ? [10] : [10, 1_000_010],
    answerUs: answered ? 1510 : null,
    rttUs: answered ? 1500 : null,
    retransmits: answered ? 0 : 1,
    outcome: over.outcome,
    answeredSyn: answered ? 0 : null,
  };
  return {
    record,
    region: over.region ?? 'eu-west',
    runnerId: 'r1',
    dueAtMs: START,
    countable: !over.requestId,
    ...(over.requestId ? { requestId: over.requestId } : {}),
  };
}

function setup(
  diagnosis: { value: SpanDiagnosis | null },
  over: { ratio?: number; maxPending?: number; diagnosisOf?: () => Promise<SpanDiagnosis | null> } = {},
) {
  const exporter = new InMemorySpanExporter();
  const ids = new DerivedIdGenerator();
  const provider = new TracerProvider({ idGenerator: ids, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  let now = START + 5000;
  const tracer = new AttemptTracer({
    provider,
    ids,
    successSampleRatio: over.ratio ?? 0.5,
    diagnosisOf: over.diagnosisOf ?? (async () => diagnosis.value),
    targetOf: () => ({ timeoutMs: 3000, address: 'web.example' }),
    diagnosisWaitMs: 10_000,
    maxPending: over.maxPending ?? 100,
    now: () => now,
  });
  return { exporter, tracer, advance: (ms: number) => (now += ms) };
}

describe('AttemptTracer', () => {
  it('traces every failure and the successes whose id falls in the sample, each as its own trace', () => {
    const { exporter, tracer } = setup({ value: null }, { ratio: 0.5 });
    // First 32 bits: 0x10000000 is in the first half, 0xf0000000 is not.
    tracer.observe([
      attempt({ id: '10000000-0000-8000-8000-000000000001', outcome: 'synack' }),
      attempt({ id: 'f0000000-0000-8000-8000-000000000002', outcome: 'synack' }),
    ]);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.attributes['synack.attempt.id'])).toEqual(['10000000-0000-8000-8000-000000000001']);
    expect(spans[0]).toMatchObject({ name: 'tcp syn', status: { code: SpanStatusCode.UNSET } });
    expect(spans[0]?.parentSpanContext).toBeUndefined();
    expect(tracer.stats.sampledOut).toBe(1);
  });

  it('holds a failure until its diagnosis names the cause, with the runner’s own times', async () => {
    const diagnosis = { value: null as SpanDiagnosis | null };
    const { exporter, tracer, advance } = setup(diagnosis);
    tracer.observe([attempt({ id: '20000000-0000-8000-8000-000000000003', outcome: 'timeout' })]);
    await tracer.poll();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(tracer.pendingSpans).toBe(1);
    // A diagnosis of another region does not speak for this attempt.
    diagnosis.value = {
      verdict: 'no_route_to_client',
      summary: 'ListenDrops +3; no route',
      updatedAtMs: START + 4000,
      scope: { regions: ['us-east'], families: ['v4'] },
    };
    await tracer.poll();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    diagnosis.value = { ...diagnosis.value, scope: { regions: ['eu-west', 'us-east'], families: ['v4'] } };
    advance(1000);
    await tracer.poll();
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({
      'synack.diagnosis.verdict': 'no_route_to_client',
      'synack.outcome': 'timeout',
      'error.type': 'timeout',
    });
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no answer within 3000 ms' });
    // Start at the runner's startedAt; end at the timeout; SYN and its retransmission as events.
    expect(span?.startTime).toEqual([START / 1000, 0]);
    expect(span?.endTime).toEqual([(START + 3000) / 1000, 0]);
    expect(span?.events.map((e) => e.name)).toEqual(['syn sent', 'syn retransmitted']);
    expect(tracer.pendingSpans).toBe(0);
  });

  it('lets a failure go without a diagnosis after the wait, and an old diagnosis does not count', async () => {
    const diagnosis = {
      value: {
        verdict: 'host_down',
        summary: 'old',
        updatedAtMs: START - 60_000,
        scope: { regions: [], families: [] },
      },
    };
    const { exporter, tracer, advance } = setup(diagnosis);
    tracer.observe([attempt({ id: '30000000-0000-8000-8000-000000000004', outcome: 'timeout' })]);
    advance(9999);
    await tracer.poll();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    advance(1);
    await tracer.poll();
    expect(exporter.getFinishedSpans()[0]?.attributes['synack.diagnosis.verdict']).toBeUndefined();
    expect(tracer.stats.diagnosisTimeouts).toBe(1);
  });

  it('is bounded: past maxPending the oldest failure goes out at once, not lost', () => {
    const { exporter, tracer } = setup({ value: null }, { maxPending: 2 });
    tracer.observe(
      ['1', '2', '3'].map((n) => attempt({ id: `${n}0000000-0000-8000-8000-000000000000`, outcome: 'timeout' })),
    );
    expect(tracer.pendingSpans).toBe(2);
    expect(exporter.getFinishedSpans().map((s) => s.attributes['synack.attempt.id'])).toEqual([
      '10000000-0000-8000-8000-000000000000',
    ]);
  });

  it('makes an on-demand probe across regions one trace, late regions included: a parent with a child per region', async () => {
    const { exporter, tracer, advance } = setup({ value: null }, { ratio: 0 });
    tracer.observe([
      attempt({ id: 'a0000000-0000-8000-8000-000000000001', outcome: 'synack', region: 'a', requestId: 'req-1' }),
    ]);
    // The parent goes out once the request has settled: its target's timeout and 3 s after the first part.
    await tracer.poll();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['tcp syn']);
    advance(6000);
    await tracer.poll();
    // A region that timed out comes in after that: still the same trace, under the same parent.
    tracer.observe([
      attempt({
        id: 'b0000000-0000-8000-8000-000000000002',
        outcome: 'timeout',
        region: 'b',
        requestId: 'req-1',
        atMs: START + 5,
      }),
    ]);
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'synack probe');
    const children = spans.filter((s) => s.name === 'tcp syn');
    expect(parent?.spanContext()).toMatchObject(requestSpanIds('req-1'));
    expect(children.map((c) => c.attributes['synack.region']).sort()).toEqual(['a', 'b']);
    for (const child of children) {
      expect(child.spanContext().traceId).toBe(parent?.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    }
    expect(parent?.startTime).toEqual([START / 1000, 0]);
  });

  it('sends a request parent once across collectors, and its failures in its status', async () => {
    const claims = new Set<string>();
    const claim = async (key: string) => !claims.has(key) && Boolean(claims.add(key));
    // Shared, as the collectors share Redis (RedisRequestStore).
    const requestStore = new MemoryRequestStore();
    const runs = [0, 1].map(() => {
      const exporter = new InMemorySpanExporter();
      const ids = new DerivedIdGenerator();
      const provider = new TracerProvider({
        idGenerator: ids,
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
      const tracer = new AttemptTracer({
        provider,
        ids,
        successSampleRatio: 0,
        diagnosisOf: async () => null,
        targetOf: () => ({ timeoutMs: 1000 }),
        claim,
        requestStore,
        now: () => START + 60_000,
      });
      return { exporter, tracer };
    });
    runs[0]?.tracer.observe([
      attempt({ id: 'a1000000-0000-8000-8000-000000000001', outcome: 'synack', region: 'a', requestId: 'r' }),
    ]);
    runs[1]?.tracer.observe([
      attempt({ id: 'b1000000-0000-8000-8000-000000000001', outcome: 'timeout', region: 'b', requestId: 'r' }),
    ]);
    await Promise.all(runs.map((r) => r.tracer.stop()));
    const parents = runs.flatMap((r) => r.exporter.getFinishedSpans()).filter((s) => s.name === 'synack probe');
    expect(parents).toHaveLength(1);
    // Whichever collector sent it, the parent describes both parts.
    expect(parents[0]?.attributes).toMatchObject({
      'synack.attempts': 2,
      'synack.attempts.failed': 1,
      'synack.regions': ['a', 'b'],
    });
    expect(parents[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: '1 of 2 attempts failed' });
  });

  it('always traces an answered attempt over its SLO threshold, whatever the success sample', () => {
    const { exporter, tracer } = setup({ value: null }, { ratio: 0 });
    tracer.observe([{ ...attempt({ id: 'f2000000-0000-8000-8000-000000000001', outcome: 'synack' }), slo: 'bad' }]);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('loses no failure when the pending set overflows while a diagnosis is read', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { exporter, tracer } = setup(
      { value: null },
      {
        maxPending: 1,
        diagnosisOf: async () => {
          await gate;
          return null;
        },
      },
    );
    tracer.observe([attempt({ id: '50000000-0000-8000-8000-000000000001', outcome: 'timeout' })]);
    const round = tracer.poll();
    tracer.observe([attempt({ id: '60000000-0000-8000-8000-000000000002', outcome: 'timeout' })]);
    release();
    await round;
    await tracer.stop();
    expect(
      exporter
        .getFinishedSpans()
        .map((s) => s.attributes['synack.attempt.id'])
        .sort(),
    ).toEqual(['50000000-0000-8000-8000-000000000001', '60000000-0000-8000-8000-000000000002']);
    expect(tracer.pendingSpans).toBe(0);
  });

  it('puts each source port of a --source-ports spread in a child span of its own', async () => {
    const { exporter, tracer, advance } = setup({ value: null }, { ratio: 0 });
    const port = (n: string) => ({
      ...attempt({
        id: `c${n}000000-0000-8000-8000-000000000000`,
        outcome: n === '2' ? 'timeout' : 'synack',
        region: 'a',
        requestId: 'req-2',
      }),
      sourcePorts: 3,
    });
    // The answered ports come in one batch, the silent one in a later one: one spread all the same.
    tracer.observe([port('1'), port('3')]);
    tracer.observe([port('2')]);
    advance(6000);
    await tracer.poll();
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'synack probe');
    const spread = spans.find((s) => s.name === 'tcp syn spread');
    const ports = spans.filter((s) => s.name === 'tcp syn');
    expect(spread?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(ports).toHaveLength(3);
    for (const port of ports) expect(port.parentSpanContext?.spanId).toBe(spread?.spanContext().spanId);
    expect(spread?.attributes).toMatchObject({ 'synack.source_ports': 3, 'synack.attempts.failed': 1 });
    expect(spread?.status).toEqual({ code: SpanStatusCode.ERROR, message: '1 of 3 source ports failed' });
  });

  it('sends everything still held when stopped', async () => {
    const { exporter, tracer } = setup({ value: null });
    tracer.observe([attempt({ id: '40000000-0000-8000-8000-000000000005', outcome: 'timeout' })]);
    await tracer.stop();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
