import { gzipSync } from 'node:zlib';
import { type HrTime, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './support/otlp-receiver.ts';

type TraceExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

const resource = resourceFromAttributes({ 'service.name': 'synack-collector', 'synack.region': 'eu-west' });

// 2025-06-15T14:13:20.123456789Z and 250.125 ms later; .125 ms is exact in a double, so the
// epoch-millisecond form loses nothing either.
const PARENT_START: HrTime = [1_750_000_000, 123_456_789];
const PARENT_END: HrTime = [1_750_000_001, 5];
const SYN_SENT_MS = 1_750_000_000_200.125;
const CHILD_END_MS = 1_750_000_000_450.5;

function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** Ended spans as the SDK hands them to exporters, without exporting them anywhere. */
function finishedSpans(names: string[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  for (const name of names) provider.getTracer('synack.test').startSpan(name).end();
  return memory.getFinishedSpans();
}

function post(url: string, body: Uint8Array, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers });
}

describe('OTLP/HTTP receiver', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  async function emitProbeTrace(config: TraceExporterConfig = {}): Promise<ReceivedSpan[]> {
    const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces`, ...config });
    const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('synack.collector', '1.2.3');
    const parent = tracer.startSpan('probe web-1', {
      kind: SpanKind.CLIENT,
      startTime: PARENT_START,
      attributes: { 'server.address': '192.0.2.10', 'server.port': 443 },
    });
    const child = tracer.startSpan(
      'tcp syn',
      {
        startTime: SYN_SENT_MS,
        attributes: {
          'network.transport': 'tcp',
          'network.local.port': 40_001,
          'synack.attempt.rtt_us': 2 ** 40,
          'synack.loss_ratio': 0.25,
          'synack.retransmitted': true,
          'synack.flags': ['SYN', 'ECE', 'CWR'],
          'synack.retry_delays_ms': [1000, 2000],
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent('syn sent', { 'synack.seq': 4_000_000_000 }, SYN_SENT_MS);
    child.addEvent('syn retransmitted', { 'synack.try': 2 }, [1_750_000_001, 200_125_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'no SYN-ACK' });
    child.end(CHILD_END_MS);
    parent.setStatus({ code: SpanStatusCode.OK });
    parent.end(PARENT_END);
    await provider.forceFlush();
    const spans = await receiver.waitForSpans(2, 5_000);
    await provider.shutdown();
    return spans;
  }

  it('decodes every span field the SDK exports', async () => {
    const spans = await emitProbeTrace();
    const child = spans.find((span) => span.name === 'tcp syn');
    const parent = spans.find((span) => span.name === 'probe web-1');
    if (!child || !parent) throw new Error(`expected both spans, got ${spans.map((span) => span.name)}`);

    expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parent.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parent.parentSpanId).toBe('');
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(child.spanId).not.toBe(parent.spanId);

    expect(parent.kind).toBe('client');
    expect(child.kind).toBe('internal');
    expect(parent.startTimeUnixNano).toBe(1_750_000_000_123_456_789n);
    expect(parent.endTimeUnixNano).toBe(1_750_000_001_000_000_005n);
    expect(child.startTimeUnixNano).toBe(1_750_000_000_200_125_000n);
    expect(child.endTimeUnixNano).toBe(1_750_000_000_450_500_000n);

    expect(child.attributes).toEqual({
      'network.transport': 'tcp',
      'network.local.port': 40_001,
      'synack.attempt.rtt_us': 2 ** 40,
      'synack.loss_ratio': 0.25,
      'synack.retransmitted': true,
      'synack.flags': ['SYN', 'ECE', 'CWR'],
      'synack.retry_delays_ms': [1000, 2000],
    });
    expect(parent.attributes).toEqual({ 'server.address': '192.0.2.10', 'server.port': 443 });
    expect(child.events).toEqual([
      { name: 'syn sent', timeUnixNano: 1_750_000_000_200_125_000n, attributes: { 'synack.seq': 4_000_000_000 } },
      { name: 'syn retransmitted', timeUnixNano: 1_750_000_001_200_125_000n, attributes: { 'synack.try': 2 } },
    ]);
    expect(child.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no SYN-ACK' });
    expect(parent.status).toEqual({ code: SpanStatusCode.OK, message: '' });
    expect(child.dropped).toEqual({ attributes: 0, events: 0, links: 0 });
    // Sampled (W3C flag 0x01), with "has is_remote" (0x100) set and is_remote (0x200) clear.
    expect(child.flags).toBe(0x101);

    expect(child.resource).toMatchObject({ 'service.name': 'synack-collector', 'synack.region': 'eu-west' });
    expect(child.scope).toBe('synack.collector');
    expect(child.scopeVersion).toBe('1.2.3');
    expect(receiver.requests).toBe(2);
    expect(receiver.rejected).toBe(0);
  });

  it('accepts gzip-compressed exports', async () => {
    const spans = await emitProbeTrace({ compression: 'gzip' as TraceExporterConfig['compression'] });
    expect(spans.map((span) => span.name).sort()).toEqual(['probe web-1', 'tcp syn']);
    expect(spans[0]?.events.length === 2 || spans[1]?.events.length === 2).toBe(true);
  });

  it('decodes sums, gauges and histograms from the metrics exporter', async () => {
    const exporter = new OTLPMetricExporter({ url: `${receiver.url}/v1/metrics` });
    // A long interval: only forceFlush() exports.
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ resource, readers: [reader] });
    const meter = provider.getMeter('synack.collector', '1.2.3');
    const attempts = meter.createCounter('synack.attempts', { description: 'Handshake attempts', unit: '{attempt}' });
    attempts.add(3, { 'synack.outcome': 'syn_ack' });
    attempts.add(2, { 'synack.outcome': 'syn_ack' });
    attempts.add(1, { 'synack.outcome': 'timeout' });
    const rtt = meter.createHistogram('synack.rtt', {
      unit: 'us',
      advice: { explicitBucketBoundaries: [100, 1_000, 10_000] },
    });
    rtt.record(50, { 'server.port': 443 });
    rtt.record(5_000, { 'server.port': 443 });
    rtt.record(20_000, { 'server.port': 443 });
    meter.createGauge('synack.queue.depth').record(7.5, { queue: 'probes' });
    meter.createUpDownCounter('synack.in_flight').add(-2);

    await provider.forceFlush();
    const metrics = await receiver.waitForMetrics(4, 5_000);
    await provider.shutdown();

    const byName = new Map(metrics.map((metric) => [metric.name, metric]));
    const counter = byName.get('synack.attempts');
    expect(counter).toMatchObject({
      type: 'sum',
      description: 'Handshake attempts',
      unit: '{attempt}',
      temporality: 'cumulative',
      isMonotonic: true,
      scope: 'synack.collector',
      scopeVersion: '1.2.3',
      resource: { 'service.name': 'synack-collector' },
    });
    const points = counter?.dataPoints ?? [];
    expect(points.map((point) => [point.attributes, 'value' in point ? point.value : undefined])).toEqual(
      expect.arrayContaining([
        [{ 'synack.outcome': 'syn_ack' }, 5],
        [{ 'synack.outcome': 'timeout' }, 1],
      ]),
    );
    expect(points).toHaveLength(2);
    for (const point of points) {
      expect(point.timeUnixNano).toBeGreaterThanOrEqual(point.startTimeUnixNano);
      expect(point.startTimeUnixNano).toBeGreaterThan(1_700_000_000_000_000_000n);
    }

    expect(byName.get('synack.in_flight')).toMatchObject({
      type: 'sum',
      isMonotonic: false,
      dataPoints: [{ attributes: {}, value: -2, valueType: 'double' }],
    });
    expect(byName.get('synack.queue.depth')).toMatchObject({
      type: 'gauge',
      dataPoints: [{ attributes: { queue: 'probes' }, value: 7.5, valueType: 'double' }],
    });
    expect(byName.get('synack.rtt')).toMatchObject({
      type: 'histogram',
      unit: 'us',
      temporality: 'cumulative',
      dataPoints: [
        {
          attributes: { 'server.port': 443 },
          count: 3,
          sum: 25_050,
          min: 50,
          max: 20_000,
          explicitBounds: [100, 1_000, 10_000],
          bucketCounts: [1, 0, 1, 1],
        },
      ],
    });
  });

  it('answers 503 while down, so the export fails and records nothing', async () => {
    receiver.setDown(true);
    // 503 is retryable; the first back-off (1 s +-20%) does not fit in 300 ms, so one attempt.
    const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces`, timeoutMillis: 300 });
    const result = await exportSpans(exporter, finishedSpans(['tcp syn']));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(receiver.refused).toBe(1);
    expect(receiver.spans()).toEqual([]);

    receiver.setDown(false);
    const retried = await exportSpans(exporter, finishedSpans(['tcp syn']));
    expect(retried.code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.spans().map((span) => span.name)).toEqual(['tcp syn']);
    await exporter.shutdown();
  });

  it('sends Retry-After when asked, which the exporter follows until it gives up', async () => {
    receiver.setDown(true, { retryAfterS: 0 });
    const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` });
    const result = await exportSpans(exporter, finishedSpans(['tcp syn']));
    expect(result.code).toBe(ExportResultCode.FAILED);
    // otlp-exporter-base retrying-transport: the first attempt and MAX_ATTEMPTS = 5 retries.
    expect(receiver.refused).toBe(6);
    expect(receiver.spans()).toEqual([]);
    await exporter.shutdown();
  });

  it('answers 4xx to what it cannot decode, counts it, and keeps serving', async () => {
    const traces = `${receiver.url}/v1/traces`;
    const protobuf = { 'content-type': 'application/x-protobuf' };
    // 'n' = 0x6e: field 13 with wire type 6, which does not exist.
    expect((await post(traces, Buffer.from('not protobuf'), protobuf)).status).toBe(400);
    // Field 1, length-delimited, claims 5 bytes and has 1.
    expect((await post(traces, Uint8Array.of(0x0a, 0x05, 0x01), protobuf)).status).toBe(400);
    // ExportTraceServiceRequest > ResourceSpans > ScopeSpans > Span { trace_id: 4 bytes }.
    const shortTraceId = Uint8Array.of(0x0a, 10, 0x12, 8, 0x12, 6, 0x0a, 4, 1, 2, 3, 4);
    const response = await post(traces, shortTraceId, protobuf);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('invalid trace_id');
    expect((await post(traces, Buffer.from('not gzip'), { ...protobuf, 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await post(traces, Buffer.from('{}'), { 'content-type': 'application/json' })).status).toBe(415);
    expect((await post(`${receiver.url}/v1/logs`, new Uint8Array(), protobuf)).status).toBe(404);
    expect(receiver.rejected).toBe(6);
    expect(receiver.spans()).toEqual([]);

    // An empty request is valid protobuf; a gzipped empty request too.
    expect((await post(traces, new Uint8Array(), protobuf)).status).toBe(200);
    const gzipped = await post(traces, gzipSync(new Uint8Array()), { ...protobuf, 'content-encoding': 'gzip' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await gzipped.arrayBuffer()).byteLength).toBe(0);

    const exporter = new OTLPTraceExporter({ url: traces });
    expect((await exportSpans(exporter, finishedSpans(['after garbage']))).code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.spans().map((span) => span.name)).toEqual(['after garbage']);
    await exporter.shutdown();
  });

  it('waits for matching spans and says what it got when it times out', async () => {
    const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` });
    const waiting = receiver.waitForSpans((span) => span.name === 'tcp syn', 5_000, 2);
    await exportSpans(exporter, finishedSpans(['tcp syn', 'other']));
    await exportSpans(exporter, finishedSpans(['tcp syn']));
    expect((await waiting).map((span) => span.name)).toEqual(['tcp syn', 'tcp syn']);
    await expect(receiver.waitForSpans(4, 50)).rejects.toThrow('timed out after 50 ms waiting for 4 spans; received 3');
    await exporter.shutdown();
  });
});
