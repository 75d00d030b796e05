import type { AttemptRecord } from '@synack/shared/attempt-record';
import { isAnswered } from '@synack/shared/probe-outcome';

type AttributeValue = string | number | boolean;

/** A span event at a time of its own (epoch ms, fractional: microseconds kept). */
export type SpanEventData = { name: string; timeMs: number; attributes?: Record<string, AttributeValue> };

/**
 * One handshake attempt as a span, ready for an OpenTelemetry tracer: low-cardinality name, the
 * runner's own start and end times, stable semantic-convention attributes plus `synack.*`, events
 * for each SYN and the answer, and an ERROR status with a description on failure.
 */
export type AttemptSpan = {
  name: 'tcp syn' | 'tcp connect';
  startTimeMs: number;
  endTimeMs: number;
  attributes: Record<string, AttributeValue>;
  events: SpanEventData[];
  status: { code: 'ok' } | { code: 'error'; message: string };
};

/** What the collector adds to a record: where it came from, its timeout, and the diagnosis if any. */
export type AttemptContext = {
  region: string;
  runnerId: string;
  /** The attempt's timeout: a silent attempt ends there. */
  timeoutMs: number;
  /** The server as configured (a host name or an address); default the probed address. */
  serverAddress?: string;
  diagnosis?: { verdict: string; summary: string };
};

/** `error.type` for each failed outcome: the connect taxonomy, ICMP by meaning, local errors by code. */
function errorType(record: AttemptRecord): string {
  switch (record.outcome) {
    case 'timeout':
      return 'timeout';
    case 'rst':
    case 'refused':
      return 'connection_refused';
    case 'reset':
      return 'connection_reset';
    case 'icmp':
    case 'unreachable':
      return record.icmp?.meaning ?? 'unreachable';
    default:
      return record.error?.code ?? record.outcome;
  }
}

function describeFailure(record: AttemptRecord, timeoutMs: number): string {
  if (record.icmp)
    return `ICMP type ${record.icmp.type} code ${record.icmp.code} (${record.icmp.meaning}) from ${record.icmp.from}`;
  if (record.error) return record.error.message;
  if (record.outcome === 'timeout') return `no answer within ${timeoutMs} ms`;
  if (record.outcome === 'rst' || record.outcome === 'refused') return 'the SYN was answered with RST';
  return record.outcome;
}

/** Maps one attempt record to its span. Pure. */
export function attemptSpan(record: AttemptRecord, context: AttemptContext): AttemptSpan {
  const startTimeMs = Date.parse(record.startedAt);
  const at = (us: number) => startTimeMs + us / 1000;
  const answered = isAnswered(record.outcome);
  const endTimeMs = record.answerUs !== null ? at(record.answerUs) : startTimeMs + context.timeoutMs;
  const attributes: Record<string, AttributeValue> = {
    'server.address': context.serverAddress ?? record.target.address,
    'server.port': record.target.port,
    'network.peer.address': record.target.address,
    'network.peer.port': record.target.port,
    'network.type': record.target.family === 'v6' ? 'ipv6' : 'ipv4',
    'network.transport': 'tcp',
    'synthetic.type': 'test',
    'synack.target': record.target.name,
    'synack.region': context.region,
    'synack.runner.id': context.runnerId,
    'synack.probe.kind': record.kind,
    'synack.outcome': record.outcome,
    'synack.retransmits': record.retransmits,
    'synack.attempt.id': record.id,
  };
  if (record.source) {
    attributes['network.local.address'] = record.source.address;
    if (record.source.port > 0) attributes['network.local.port'] = record.source.port;
  }
  if (record.rttUs !== null) attributes['synack.rtt_us'] = record.rttUs;
  if (record.icmp) {
    attributes['synack.icmp.type'] = record.icmp.type;
    attributes['synack.icmp.code'] = record.icmp.code;
    attributes['synack.icmp.from'] = record.icmp.from;
  }
  if (context.diagnosis) {
    attributes['synack.diagnosis.verdict'] = context.diagnosis.verdict;
    attributes['synack.diagnosis.summary'] = context.diagnosis.summary;
  }
  const events: SpanEventData[] = record.synSentUs.map((us, index) => ({
    name: record.kind === 'connect' ? 'connect() called' : index === 0 ? 'syn sent' : 'syn retransmitted',
    timeMs: at(us),
    ...(index > 0 ? { attributes: { 'synack.syn.index': index } } : {}),
  }));
  if (record.answerUs !== null) {
    const name =
      record.kind === 'connect'
        ? answered
          ? 'established'
          : `${record.outcome}`
        : record.outcome === 'synack'
          ? 'syn-ack received'
          : record.outcome === 'rst'
            ? 'rst received'
            : 'icmp received';
    events.push({ name, timeMs: at(record.answerUs) });
  }
  if (answered)
    return { name: `tcp ${record.kind}`, startTimeMs, endTimeMs, attributes, events, status: { code: 'ok' } };
  attributes['error.type'] = errorType(record);
  return {
    name: `tcp ${record.kind}`,
    startTimeMs,
    endTimeMs,
    attributes,
    events,
    status: { code: 'error', message: describeFailure(record, context.timeoutMs) },
  };
}
