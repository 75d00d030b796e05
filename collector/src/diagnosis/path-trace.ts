import type { AddressFamily } from '@synack/shared/address-family';
import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import { traceHops } from '@synack/shared/trace-hops';

/** A TCP traceroute from one region toward a failing target, as the diagnosis reads it. */
export type PathTrace = {
  region: string;
  family: AddressFamily;
  /** The target address traced. */
  address: string;
  /** When the trace was taken (epoch ms). */
  atMs: number;
  /** Each hop probed, in TTL order, up to the first that ends the trace. */
  hops: { ttl: number; responders: string[]; reachedTarget: boolean; final: boolean }[];
  /** Why there is no trace (the runner could not trace, or did not answer in time). */
  error?: string;
};

/** A trace's records as hops (pure); `error` when none went out. */
export function pathTraceOf(
  region: string,
  family: AddressFamily,
  records: readonly SynAttemptRecord[],
  atMs: number,
): PathTrace {
  const hops = traceHops(records).map(({ ttl, responders, reachedTarget, final }) => ({
    ttl,
    responders,
    reachedTarget,
    final,
  }));
  const address = records[0]?.target.address ?? '';
  const refused = records.find((r) => r.outcome === 'local_error' && r.sentTtl === undefined);
  if (hops.length === 0) {
    return { region, family, address, atMs, hops, error: refused?.error?.message ?? 'the runner sent no trace' };
  }
  return { region, family, address, atMs, hops };
}

/**
 * One line for people: where the SYNs stop. `a/v4 → 203.0.113.10: 1 10.1.0.1, 2 *, 3 *` ends with
 * what it means: the last hop that answered, or that the target was reached.
 */
export function describePathTrace(trace: PathTrace): { fact: string; value: string } {
  const fact = `trace ${trace.region}/${trace.family} to ${trace.address || 'the target'}`;
  if (trace.error) return { fact, value: `none: ${trace.error}` };
  const path = trace.hops.map((h) => `${h.ttl} ${h.responders.join('/') || '*'}`).join(', ');
  const reached = trace.hops.find((h) => h.reachedTarget);
  if (reached) return { fact, value: `${path}: reached the target at hop ${reached.ttl}` };
  const answered = trace.hops.filter((h) => h.responders.length > 0).at(-1);
  const last = trace.hops.at(-1);
  if (last?.final) return { fact, value: `${path}: hop ${last.ttl} reports the target unreachable` };
  return {
    fact,
    value: answered
      ? `${path}: the SYNs are lost after hop ${answered.ttl} (${answered.responders.join('/')})`
      : `${path}: no hop answered`,
  };
}
