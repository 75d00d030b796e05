import { createHash, randomBytes } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

/**
 * The ids of an on-demand request's trace, derived from its request id (and, for a span inside
 * it, a key): every collector that handles part of the request puts its spans in the same trace,
 * under the same parent, whatever order the parts arrive in. Pure.
 */
export function requestSpanIds(requestId: string, key = ''): { traceId: string; spanId: string } {
  const hex = createHash('sha256').update(`synack-request\0${requestId}`).digest('hex');
  const span = key === '' ? hex : createHash('sha256').update(`${hex}\0${key}`).digest('hex');
  return { traceId: hex.slice(0, 32), spanId: span.slice(32, 48) };
}

/**
 * Random ids, except for the span started inside `withIds`: the SDK takes a new span's ids from
 * the provider's generator, and a request's root and spread spans must have the derived ones.
 */
export class DerivedIdGenerator implements IdGenerator {
  private next: { traceId: string; spanId: string } | undefined;

  generateTraceId(): string {
    return this.next?.traceId ?? randomHex(16);
  }

  generateSpanId(): string {
    return this.next?.spanId ?? randomHex(8);
  }

  /** Runs `start` (which must start exactly one span, synchronously) with these ids. */
  withIds<T>(ids: { traceId: string; spanId: string }, start: () => T): T {
    this.next = ids;
    try {
      return start();
    } finally {
      this.next = undefined;
    }
  }
}

function randomHex(bytes: number): string {
  // Never all zeros: an invalid id in OTLP.
  let hex = randomBytes(bytes).toString('hex');
  while (/^0+$/.test(hex)) hex = randomBytes(bytes).toString('hex');
  return hex;
}
