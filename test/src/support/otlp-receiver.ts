import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { IConversionOptions, Root, Type } from 'protobufjs';
import protobuf from 'protobufjs';

/**
 * The subset of opentelemetry-proto (github.com/open-telemetry/opentelemetry-proto, `opentelemetry/proto/`)
 * that OTLP/HTTP traces and metrics need, one entry per .proto file, in dependency order. Field
 * numbers are the spec's; `import` lines are left out because every file is parsed into one Root.
 */
const OTLP_PROTO_FILES: readonly string[] = [
  `syntax = "proto3";
  package opentelemetry.proto.common.v1;
  message AnyValue {
    oneof value {
      string string_value = 1;
      bool bool_value = 2;
      int64 int_value = 3;
      double double_value = 4;
      ArrayValue array_value = 5;
      KeyValueList kvlist_value = 6;
      bytes bytes_value = 7;
      int32 string_value_strindex = 8;
    }
  }
  message ArrayValue { repeated AnyValue values = 1; }
  message KeyValueList { repeated KeyValue values = 1; }
  message KeyValue {
    string key = 1;
    AnyValue value = 2;
    int32 key_strindex = 3;
  }
  message InstrumentationScope {
    string name = 1;
    string version = 2;
    repeated KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }
  message EntityRef {
    string schema_url = 1;
    string type = 2;
    repeated string id_keys = 3;
    repeated string description_keys = 4;
  }`,
  `syntax = "proto3";
  package opentelemetry.proto.resource.v1;
  message Resource {
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 1;
    uint32 dropped_attributes_count = 2;
    repeated opentelemetry.proto.common.v1.EntityRef entity_refs = 3;
  }`,
  `syntax = "proto3";
  package opentelemetry.proto.trace.v1;
  message TracesData { repeated ResourceSpans resource_spans = 1; }
  message ResourceSpans {
    reserved 1000;
    opentelemetry.proto.resource.v1.Resource resource = 1;
    repeated ScopeSpans scope_spans = 2;
    string schema_url = 3;
  }
  message ScopeSpans {
    opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
    repeated Span spans = 2;
    string schema_url = 3;
  }
  message Span {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    bytes parent_span_id = 4;
    fixed32 flags = 16;
    string name = 5;
    enum SpanKind {
      SPAN_KIND_UNSPECIFIED = 0;
      SPAN_KIND_INTERNAL = 1;
      SPAN_KIND_SERVER = 2;
      SPAN_KIND_CLIENT = 3;
      SPAN_KIND_PRODUCER = 4;
      SPAN_KIND_CONSUMER = 5;
    }
    SpanKind kind = 6;
    fixed64 start_time_unix_nano = 7;
    fixed64 end_time_unix_nano = 8;
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
    uint32 dropped_attributes_count = 10;
    message Event {
      fixed64 time_unix_nano = 1;
      string name = 2;
      repeated opentelemetry.proto.common.v1.KeyValue attributes = 3;
      uint32 dropped_attributes_count = 4;
    }
    repeated Event events = 11;
    uint32 dropped_events_count = 12;
    message Link {
      bytes trace_id = 1;
      bytes span_id = 2;
      string trace_state = 3;
      repeated opentelemetry.proto.common.v1.KeyValue attributes = 4;
      uint32 dropped_attributes_count = 5;
      fixed32 flags = 6;
    }
    repeated Link links = 13;
    uint32 dropped_links_count = 14;
    Status status = 15;
  }
  message Status {
    reserved 1;
    string message = 2;
    enum StatusCode {
      STATUS_CODE_UNSET = 0;
      STATUS_CODE_OK = 1;
      STATUS_CODE_ERROR = 2;
    }
    StatusCode code = 3;
  }`,
  `syntax = "proto3";
  package opentelemetry.proto.collector.trace.v1;
  message ExportTraceServiceRequest {
    repeated opentelemetry.proto.trace.v1.ResourceSpans resource_spans = 1;
  }
  message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
  message ExportTracePartialSuccess {
    int64 rejected_spans = 1;
    string error_message = 2;
  }`,
  `syntax = "proto3";
  package opentelemetry.proto.metrics.v1;
  message MetricsData { repeated ResourceMetrics resource_metrics = 1; }
  message ResourceMetrics {
    reserved 1000;
    opentelemetry.proto.resource.v1.Resource resource = 1;
    repeated ScopeMetrics scope_metrics = 2;
    string schema_url = 3;
  }
  message ScopeMetrics {
    opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
    repeated Metric metrics = 2;
    string schema_url = 3;
  }
  message Metric {
    reserved 4, 6, 8;
    string name = 1;
    string description = 2;
    string unit = 3;
    oneof data {
      Gauge gauge = 5;
      Sum sum = 7;
      Histogram histogram = 9;
      ExponentialHistogram exponential_histogram = 10;
      Summary summary = 11;
    }
    repeated opentelemetry.proto.common.v1.KeyValue metadata = 12;
  }
  message Gauge { repeated NumberDataPoint data_points = 1; }
  message Sum {
    repeated NumberDataPoint data_points = 1;
    AggregationTemporality aggregation_temporality = 2;
    bool is_monotonic = 3;
  }
  message Histogram {
    repeated HistogramDataPoint data_points = 1;
    AggregationTemporality aggregation_temporality = 2;
  }
  message ExponentialHistogram {
    repeated ExponentialHistogramDataPoint data_points = 1;
    AggregationTemporality aggregation_temporality = 2;
  }
  message Summary { repeated SummaryDataPoint data_points = 1; }
  enum AggregationTemporality {
    AGGREGATION_TEMPORALITY_UNSPECIFIED = 0;
    AGGREGATION_TEMPORALITY_DELTA = 1;
    AGGREGATION_TEMPORALITY_CUMULATIVE = 2;
  }
  message NumberDataPoint {
    reserved 1;
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 7;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    oneof value {
      double as_double = 4;
      sfixed64 as_int = 6;
    }
    repeated Exemplar exemplars = 5;
    uint32 flags = 8;
  }
  message HistogramDataPoint {
    reserved 1;
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    fixed64 count = 4;
    optional double sum = 5;
    repeated fixed64 bucket_counts = 6;
    repeated double explicit_bounds = 7;
    repeated Exemplar exemplars = 8;
    uint32 flags = 10;
    optional double min = 11;
    optional double max = 12;
  }
  message ExponentialHistogramDataPoint {
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 1;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    fixed64 count = 4;
    optional double sum = 5;
    sint32 scale = 6;
    fixed64 zero_count = 7;
    Buckets positive = 8;
    Buckets negative = 9;
    message Buckets {
      sint32 offset = 1;
      repeated uint64 bucket_counts = 2;
    }
    uint32 flags = 10;
    repeated Exemplar exemplars = 11;
    optional double min = 12;
    optional double max = 13;
    double zero_threshold = 14;
  }
  message SummaryDataPoint {
    reserved 1;
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 7;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    fixed64 count = 4;
    double sum = 5;
    message ValueAtQuantile {
      double quantile = 1;
      double value = 2;
    }
    repeated ValueAtQuantile quantile_values = 6;
    uint32 flags = 8;
  }
  message Exemplar {
    reserved 1;
    repeated opentelemetry.proto.common.v1.KeyValue filtered_attributes = 7;
    fixed64 time_unix_nano = 2;
    oneof value {
      double as_double = 3;
      sfixed64 as_int = 6;
    }
    bytes span_id = 4;
    bytes trace_id = 5;
  }`,
  `syntax = "proto3";
  package opentelemetry.proto.collector.metrics.v1;
  message ExportMetricsServiceRequest {
    repeated opentelemetry.proto.metrics.v1.ResourceMetrics resource_metrics = 1;
  }
  message ExportMetricsServiceResponse { ExportMetricsPartialSuccess partial_success = 1; }
  message ExportMetricsPartialSuccess {
    int64 rejected_data_points = 1;
    string error_message = 2;
  }`,
];

/** An attribute value as OTLP's AnyValue carries it; int64 becomes a number, an empty AnyValue `null`. */
export type OtlpValue = string | number | boolean | null | Uint8Array | OtlpValue[] | { [key: string]: OtlpValue };

/** Attributes by key. */
export type OtlpAttributes = Record<string, OtlpValue>;

/** OTLP `Span.SpanKind` by wire number: 0 unspecified ... 5 consumer (the API's `SpanKind` is one less). */
export const SPAN_KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKindName = (typeof SPAN_KIND_NAMES)[number];

/** OTLP `AggregationTemporality` by wire number. */
export const TEMPORALITY_NAMES = ['unspecified', 'delta', 'cumulative'] as const;
export type TemporalityName = (typeof TEMPORALITY_NAMES)[number];

export type ReceivedSpanEvent = { name: string; timeUnixNano: bigint; attributes: OtlpAttributes };
export type ReceivedSpanLink = { traceId: string; spanId: string; traceState: string; attributes: OtlpAttributes };

/** One span as the receiver decoded it. Ids are lowercase hex; times are nanoseconds since the Unix epoch. */
export type ReceivedSpan = {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  /** W3C trace flags in bits 0-7, SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE (0x100) and _IS_REMOTE (0x200). */
  flags: number;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpAttributes;
  events: ReceivedSpanEvent[];
  links: ReceivedSpanLink[];
  /** `code`: 0 unset, 1 ok, 2 error (the same numbers as the API's `SpanStatusCode`). */
  status: { code: number; message: string };
  dropped: { attributes: number; events: number; links: number };
  /** Attributes of the span's resource (`service.name`, ...). */
  resource: OtlpAttributes;
  /** Name of the instrumentation scope (the tracer's name). */
  scope: string;
  scopeVersion: string;
};

type PointTimes = { attributes: OtlpAttributes; startTimeUnixNano: bigint; timeUnixNano: bigint };

/** A sum or gauge point. `valueType` says which oneof member carried it ('none': neither). */
export type ReceivedNumberPoint = PointTimes & { value: number; valueType: 'int' | 'double' | 'none' };

/** `sum`, `min` and `max` are optional in the proto and `undefined` when absent. */
export type ReceivedHistogramPoint = PointTimes & {
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
};

export type ReceivedExponentialHistogramPoint = PointTimes & {
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  scale: number;
  zeroCount: number;
};

export type ReceivedSummaryPoint = PointTimes & {
  count: number;
  sum: number;
  quantiles: { quantile: number; value: number }[];
};

/** A metric's data, by the `Metric.data` oneof member that carried it ('empty': none). */
export type ReceivedMetricData =
  | { type: 'sum'; temporality: TemporalityName; isMonotonic: boolean; dataPoints: ReceivedNumberPoint[] }
  | { type: 'gauge'; dataPoints: ReceivedNumberPoint[] }
  | { type: 'histogram'; temporality: TemporalityName; dataPoints: ReceivedHistogramPoint[] }
  | { type: 'exponentialHistogram'; temporality: TemporalityName; dataPoints: ReceivedExponentialHistogramPoint[] }
  | { type: 'summary'; dataPoints: ReceivedSummaryPoint[] }
  | { type: 'empty'; dataPoints: [] };

type MetricBase = {
  name: string;
  description: string;
  unit: string;
  resource: OtlpAttributes;
  scope: string;
  scopeVersion: string;
};

/** One metric of one export, with its resource and scope: each export of a metric adds an entry. */
export type ReceivedMetric = MetricBase & ReceivedMetricData;

export type OtlpReceiverOptions = {
  /** Address to listen on; default '127.0.0.1'. The port is always chosen by the kernel. */
  host?: string;
  /** Largest request body accepted, before and after gunzip; default 32 MiB. Larger gets 413. */
  maxBodyBytes?: number;
};

export type OtlpReceiver = {
  /** `http://127.0.0.1:PORT`: the base for OTEL_EXPORTER_OTLP_ENDPOINT; signals go to `/v1/traces`, `/v1/metrics`. */
  readonly url: string;
  /** Every span received so far, in arrival order (a copy). */
  spans(): ReceivedSpan[];
  /** Every metric received so far, in arrival order (a copy). */
  metrics(): ReceivedMetric[];
  /** HTTP requests received, whatever their path or answer (so retries count). */
  readonly requests: number;
  /** Requests answered 503 because the receiver was down. */
  readonly refused: number;
  /** Requests answered 4xx: undecodable protobuf or gzip (400), unknown path (404), wrong method (405), too big (413), wrong media type (415). */
  readonly rejected: number;
  /**
   * Resolves with the received spans once the condition holds, or rejects after `timeoutMs`. A
   * number waits for that many spans in all and resolves with all of them; a predicate waits for
   * `count` (default 1) spans it accepts and resolves with those.
   */
  waitForSpans(
    condition: number | ((span: ReceivedSpan) => boolean),
    timeoutMs: number,
    count?: number,
  ): Promise<ReceivedSpan[]>;
  /** As `waitForSpans`, for metrics. */
  waitForMetrics(
    condition: number | ((metric: ReceivedMetric) => boolean),
    timeoutMs: number,
    count?: number,
  ): Promise<ReceivedMetric[]>;
  /**
   * While down, every request gets 503 (which OTLP exporters retry). `retryAfterS` adds a
   * Retry-After header; the JS exporters read 0 as "retry at once".
   */
  setDown(down: boolean, options?: { retryAfterS?: number }): void;
  /** Forgets the spans and metrics received so far; the counters keep counting. */
  clear(): void;
  /** Stops listening, drops open connections and rejects pending waits. */
  close(): Promise<void>;
};

const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;

// Plain objects after `Type.toObject` with these options: camelCase names, int64 as bigint, enums
// as numbers, bytes as Buffer, absent scalars and repeated fields filled in, absent messages null,
// oneofs named by a virtual property. The Pb* types below describe that shape.
const TO_OBJECT: IConversionOptions = { longs: BigInt, enums: Number, defaults: true, arrays: true, oneofs: true };

type PbAnyValue = {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: bigint;
  doubleValue?: number;
  arrayValue?: { values: PbAnyValue[] };
  kvlistValue?: { values: PbKeyValue[] };
  bytesValue?: Uint8Array;
  stringValueStrindex?: number;
};
type PbKeyValue = { key: string; value: PbAnyValue | null };
type PbResource = { attributes: PbKeyValue[] } | null;
type PbScope = { name: string; version: string } | null;
type PbEvent = { timeUnixNano: bigint; name: string; attributes: PbKeyValue[] };
type PbLink = { traceId: Uint8Array; spanId: Uint8Array; traceState: string; attributes: PbKeyValue[] };
type PbSpan = {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
  events: PbEvent[];
  droppedEventsCount: number;
  links: PbLink[];
  droppedLinksCount: number;
  status: { message: string; code: number } | null;
};
type PbTraceRequest = {
  resourceSpans: { resource: PbResource; scopeSpans: { scope: PbScope; spans: PbSpan[] }[] }[];
};
type PbPointTimes = { attributes: PbKeyValue[]; startTimeUnixNano: bigint; timeUnixNano: bigint };
type PbNumberPoint = PbPointTimes & { value?: string; asDouble?: number; asInt?: bigint };
type PbHistogramPoint = PbPointTimes & {
  count: bigint;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts: bigint[];
  explicitBounds: number[];
};
type PbExponentialHistogramPoint = PbPointTimes & {
  count: bigint;
  sum?: number;
  min?: number;
  max?: number;
  scale: number;
  zeroCount: bigint;
};
type PbSummaryPoint = PbPointTimes & {
  count: bigint;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
};
type PbMetric = {
  name: string;
  description: string;
  unit: string;
  data?: string;
  gauge?: { dataPoints: PbNumberPoint[] };
  sum?: { dataPoints: PbNumberPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: PbHistogramPoint[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: PbExponentialHistogramPoint[]; aggregationTemporality: number };
  summary?: { dataPoints: PbSummaryPoint[] };
};
type PbMetricsRequest = {
  resourceMetrics: { resource: PbResource; scopeMetrics: { scope: PbScope; metrics: PbMetric[] }[] }[];
};

type OtlpSchema = {
  traceRequest: Type;
  traceResponse: Uint8Array;
  metricsRequest: Type;
  metricsResponse: Uint8Array;
};

let schema: OtlpSchema | undefined;

function otlpSchema(): OtlpSchema {
  if (schema) return schema;
  const root: Root = new protobuf.Root();
  for (const file of OTLP_PROTO_FILES) protobuf.parse(file, root);
  root.resolveAll();
  const type = (name: string): Type => root.lookupType(`opentelemetry.proto.collector.${name}`);
  schema = {
    traceRequest: type('trace.v1.ExportTraceServiceRequest'),
    traceResponse: type('trace.v1.ExportTraceServiceResponse').encode({}).finish(),
    metricsRequest: type('metrics.v1.ExportMetricsServiceRequest'),
    metricsResponse: type('metrics.v1.ExportMetricsServiceResponse').encode({}).finish(),
  };
  return schema;
}

/** A request the receiver refuses, with the status it answers. */
class Rejection extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function id(bytes: Uint8Array, length: number, what: string, optional = false): string {
  if (optional && bytes.length === 0) return '';
  // trace.proto: an id of the wrong length or all zeroes is invalid.
  if (bytes.length !== length || bytes.every((b) => b === 0)) {
    throw new Rejection(400, `invalid ${what}: ${bytes.length} bytes '${hex(bytes)}'`);
  }
  return hex(bytes);
}

function anyValue(value: PbAnyValue | null): OtlpValue {
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'intValue':
      return Number(value.intValue ?? 0n);
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue':
      return attributes(value.kvlistValue?.values ?? []);
    case 'bytesValue':
      return new Uint8Array(value.bytesValue ?? []);
    case 'stringValueStrindex':
      throw new Rejection(400, 'string_value_strindex needs a dictionary, which OTLP traces and metrics do not carry');
    default:
      return null;
  }
}

function attributes(list: PbKeyValue[]): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const { key, value } of list) out[key] = anyValue(value);
  return out;
}

function decode<T>(type: Type, body: Uint8Array): T {
  try {
    // Shape fixed by the schema and TO_OBJECT; see the Pb* types.
    return type.toObject(type.decode(body), TO_OBJECT) as T;
  } catch (error) {
    throw new Rejection(400, `undecodable ${type.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decodeSpans(body: Uint8Array): ReceivedSpan[] {
  const request = decode<PbTraceRequest>(otlpSchema().traceRequest, body);
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const resource = attributes(resourceSpans.resource?.attributes ?? []);
    for (const { scope, spans } of resourceSpans.scopeSpans) {
      for (const span of spans) {
        out.push({
          traceId: id(span.traceId, TRACE_ID_BYTES, 'trace_id'),
          spanId: id(span.spanId, SPAN_ID_BYTES, 'span_id'),
          parentSpanId: id(span.parentSpanId, SPAN_ID_BYTES, 'parent_span_id', true),
          traceState: span.traceState,
          flags: span.flags,
          name: span.name,
          kind: SPAN_KIND_NAMES[span.kind] ?? 'unspecified',
          startTimeUnixNano: span.startTimeUnixNano,
          endTimeUnixNano: span.endTimeUnixNano,
          attributes: attributes(span.attributes),
          events: span.events.map((event) => ({
            name: event.name,
            timeUnixNano: event.timeUnixNano,
            attributes: attributes(event.attributes),
          })),
          links: span.links.map((link) => ({
            traceId: id(link.traceId, TRACE_ID_BYTES, 'link trace_id'),
            spanId: id(link.spanId, SPAN_ID_BYTES, 'link span_id'),
            traceState: link.traceState,
            attributes: attributes(link.attributes),
          })),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
          dropped: {
            attributes: span.droppedAttributesCount,
            events: span.droppedEventsCount,
            links: span.droppedLinksCount,
          },
          resource,
          scope: scope?.name ?? '',
          scopeVersion: scope?.version ?? '',
        });
      }
    }
  }
  return out;
}

function pointTimes(point: PbPointTimes): PointTimes {
  return {
    attributes: attributes(point.attributes),
    startTimeUnixNano: point.startTimeUnixNano,
    timeUnixNano: point.timeUnixNano,
  };
}

function numberPoint(point: PbNumberPoint): ReceivedNumberPoint {
  if (point.value === 'asInt') return { ...pointTimes(point), value: Number(point.asInt ?? 0n), valueType: 'int' };
  if (point.value === 'asDouble') return { ...pointTimes(point), value: point.asDouble ?? 0, valueType: 'double' };
  return { ...pointTimes(point), value: 0, valueType: 'none' };
}

function temporality(value: number): TemporalityName {
  return TEMPORALITY_NAMES[value] ?? 'unspecified';
}

function metricData(metric: PbMetric): ReceivedMetricData {
  const { gauge, sum, histogram, exponentialHistogram, summary } = metric;
  if (metric.data === 'sum' && sum) {
    return {
      type: 'sum',
      temporality: temporality(sum.aggregationTemporality),
      isMonotonic: sum.isMonotonic,
      dataPoints: sum.dataPoints.map(numberPoint),
    };
  }
  if (metric.data === 'gauge' && gauge) return { type: 'gauge', dataPoints: gauge.dataPoints.map(numberPoint) };
  if (metric.data === 'histogram' && histogram) {
    return {
      type: 'histogram',
      temporality: temporality(histogram.aggregationTemporality),
      dataPoints: histogram.dataPoints.map((point) => ({
        ...pointTimes(point),
        count: Number(point.count),
        sum: point.sum,
        min: point.min,
        max: point.max,
        bucketCounts: point.bucketCounts.map(Number),
        explicitBounds: point.explicitBounds,
      })),
    };
  }
  if (metric.data === 'exponentialHistogram' && exponentialHistogram) {
    return {
      type: 'exponentialHistogram',
      temporality: temporality(exponentialHistogram.aggregationTemporality),
      dataPoints: exponentialHistogram.dataPoints.map((point) => ({
        ...pointTimes(point),
        count: Number(point.count),
        sum: point.sum,
        min: point.min,
        max: point.max,
        scale: point.scale,
        zeroCount: Number(point.zeroCount),
      })),
    };
  }
  if (metric.data === 'summary' && summary) {
    return {
      type: 'summary',
      dataPoints: summary.dataPoints.map((point) => ({
        ...pointTimes(point),
        count: Number(point.count),
        sum: point.sum,
        quantiles: point.quantileValues.map(({ quantile, value }) => ({ quantile, value })),
      })),
    };
  }
  return { type: 'empty', dataPoints: [] };
}

function decodeMetrics(body: Uint8Array): ReceivedMetric[] {
  const request = decode<PbMetricsRequest>(otlpSchema().metricsRequest, body);
  const out: ReceivedMetric[] = [];
  for (const resourceMetrics of request.resourceMetrics) {
    const resource = attributes(resourceMetrics.resource?.attributes ?? []);
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      for (const metric of metrics) {
        const base: MetricBase = {
          name: metric.name,
          description: metric.description,
          unit: metric.unit,
          resource,
          scope: scope?.name ?? '',
          scopeVersion: scope?.version ?? '',
        };
        out.push({ ...base, ...metricData(metric) });
      }
    }
  }
  return out;
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Keep reading past the limit so the client sees the 413 instead of a reset.
    if (size <= maxBytes) chunks.push(buffer);
  }
  if (size > maxBytes) throw new Rejection(413, `body of ${size} bytes exceeds ${maxBytes}`);
  return Buffer.concat(chunks);
}

const gunzipAsync = promisify(gunzip);

async function decompress(req: IncomingMessage, body: Buffer, maxBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip') throw new Rejection(415, `unsupported Content-Encoding '${encoding}'`);
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    throw new Rejection(400, `bad gzip body: ${error instanceof Error ? error.message : String(error)}`);
  }
}

type Waiter = { check(): void; fail(error: Error): void };

/**
 * Starts an OTLP/HTTP receiver (http/protobuf, optionally gzip) on a kernel-chosen loopback port.
 * It decodes ExportTraceServiceRequest and ExportMetricsServiceRequest with protobufjs and answers
 * 200 with an empty Export*ServiceResponse. Bad requests get a 4xx and are counted; nothing a
 * client sends can crash it.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new RangeError(`maxBodyBytes: expected a positive integer, got ${maxBodyBytes}`);
  }
  const { traceResponse, metricsResponse } = otlpSchema();
  let spanList: ReceivedSpan[] = [];
  let metricList: ReceivedMetric[] = [];
  let requests = 0;
  let refused = 0;
  let rejected = 0;
  let down: { retryAfterS?: number } | undefined;
  const waiters = new Set<Waiter>();

  const routes: Record<string, { ingest(body: Uint8Array): void; response: Uint8Array }> = {
    '/v1/traces': { ingest: (body) => spanList.push(...decodeSpans(body)), response: traceResponse },
    '/v1/metrics': { ingest: (body) => metricList.push(...decodeMetrics(body)), response: metricsResponse },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests++;
    const body = await readBody(req, maxBodyBytes);
    if (down) {
      refused++;
      const headers = down.retryAfterS === undefined ? {} : { 'retry-after': String(down.retryAfterS) };
      res.writeHead(503, headers).end();
      return;
    }
    const route = routes[new URL(req.url ?? '/', 'http://receiver').pathname];
    if (!route) throw new Rejection(404, `no OTLP signal at ${req.url}`);
    if (req.method !== 'POST') throw new Rejection(405, `${req.method} ${req.url}: only POST is accepted`);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== PROTOBUF_CONTENT_TYPE) {
      throw new Rejection(415, `Content-Type '${contentType}': only ${PROTOBUF_CONTENT_TYPE} is accepted`);
    }
    route.ingest(await decompress(req, body, maxBodyBytes));
    res.writeHead(200, { 'content-type': PROTOBUF_CONTENT_TYPE }).end(route.response);
    for (const waiter of waiters) waiter.check();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof Rejection ? error.status : 500;
      if (status < 500) rejected++;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message);
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  function waitFor<T>(
    kind: string,
    list: () => T[],
    condition: number | ((item: T) => boolean),
    timeoutMs: number,
    count: number,
  ): Promise<T[]> {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs: expected > 0, got ${timeoutMs}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count: expected an integer >= 1, got ${count}`);
    if (typeof condition === 'number' && (!Number.isInteger(condition) || condition < 0)) {
      throw new RangeError(`condition: expected a count >= 0, got ${condition}`);
    }
    const select = (): T[] | undefined => {
      if (typeof condition === 'number') return list().length >= condition ? list().slice() : undefined;
      const matches = list().filter(condition);
      return matches.length >= count ? matches : undefined;
    };
    const ready = select();
    if (ready) return Promise.resolve(ready);
    const wanted = typeof condition === 'number' ? `${condition} ${kind}` : `${count} matching ${kind}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${wanted}; received ${list().length} ${kind}`));
      }, timeoutMs);
      const waiter: Waiter = {
        check() {
          const matches = select();
          if (!matches) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(matches);
        },
        fail(error) {
          clearTimeout(timer);
          waiters.delete(waiter);
          reject(error);
        },
      };
      waiters.add(waiter);
    });
  }

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    spans: () => spanList.slice(),
    metrics: () => metricList.slice(),
    get requests() {
      return requests;
    },
    get refused() {
      return refused;
    },
    get rejected() {
      return rejected;
    },
    waitForSpans: (condition, timeoutMs, count = 1) => waitFor('spans', () => spanList, condition, timeoutMs, count),
    waitForMetrics: (condition, timeoutMs, count = 1) =>
      waitFor('metrics', () => metricList, condition, timeoutMs, count),
    setDown(isDown, downOptions = {}) {
      down = isDown ? { ...downOptions } : undefined;
    },
    clear() {
      spanList = [];
      metricList = [];
    },
    async close() {
      for (const waiter of waiters) waiter.fail(new Error('OTLP receiver closed'));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
