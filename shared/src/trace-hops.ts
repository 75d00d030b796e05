import type { SynAttemptRecord } from './attempt-record.ts';

/** One TTL of a TCP traceroute: who answered, and how. */
export type TraceHop = {
  ttl: number;
  attempts: SynAttemptRecord[];
  /** Distinct addresses that answered at this TTL (ECMP can show more than one). */
  responders: string[];
  /** True when the target itself answered at this TTL (SYN-ACK, RST, or its own ICMP error). */
  reachedTarget: boolean;
  /**
   * True when the trace cannot go further: the target answered, or a router said the destination
   * is unreachable (traceroute's !N, !H, !X), which every higher TTL would only repeat.
   */
  final: boolean;
};

/** Who answered an attempt: the router or target that sent the ICMP error, or the target. */
export function traceResponder(record: SynAttemptRecord): string | null {
  if (record.outcome === 'icmp') return record.icmp?.from ?? null;
  if (record.outcome === 'synack' || record.outcome === 'rst') return record.target.address;
  return null;
}

/**
 * Groups TTL-limited attempts into hops and cuts the list after the first final hop (the target
 * answered, or a router reported it unreachable). Pure.
 */
export function traceHops(records: readonly SynAttemptRecord[]): TraceHop[] {
  const byTtl = new Map<number, SynAttemptRecord[]>();
  for (const r of records) {
    if (r.sentTtl === undefined) continue;
    const list = byTtl.get(r.sentTtl);
    if (list) list.push(r);
    else byTtl.set(r.sentTtl, [r]);
  }
  const hops: TraceHop[] = [];
  for (const ttl of [...byTtl.keys()].sort((a, b) => a - b)) {
    const attempts = byTtl.get(ttl) as SynAttemptRecord[];
    const responders = [...new Set(attempts.map(traceResponder).filter((a): a is string => a !== null))];
    const reachedTarget = attempts.some(
      (a) =>
        a.outcome === 'synack' || a.outcome === 'rst' || (a.outcome === 'icmp' && a.icmp?.from === a.target.address),
    );
    const unreachable = attempts.some((a) => a.outcome === 'icmp' && a.icmp?.meaning !== 'ttl_exceeded');
    const final = reachedTarget || unreachable;
    hops.push({ ttl, attempts, responders, reachedTarget, final });
    if (final) break;
  }
  return hops;
}
