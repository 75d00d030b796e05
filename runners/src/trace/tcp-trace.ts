import type { ProbeTarget, SynAttemptRecord } from '@synack/shared/attempt-record';
import { type TraceHop, traceHops } from '@synack/shared/trace-hops';
import type { RetransmitPolicy } from '../syn/retransmit-schedule.ts';

export type TracePlan = {
  target: ProbeTarget;
  /** Highest TTL to try. Default 30, as traceroute. */
  maxHops: number;
  /** SYNs per TTL. */
  queries: number;
  /** TTLs probed at once; the next wave starts only if the target was not reached. */
  wave: number;
  policy: RetransmitPolicy;
};

/** The SYN engine call a trace needs: one attempt at a given TTL / hop limit. */
export type TtlProbe = (target: ProbeTarget, policy: RetransmitPolicy, ttl: number) => Promise<SynAttemptRecord>;

/**
 * TCP traceroute: SYNs to the target's real port with TTL 1, 2, 3...; routers answer with
 * time-exceeded, the target with SYN-ACK or RST. Because the probes are SYNs to the service
 * port, they take the path (and firewall verdicts) that real connections take.
 */
export async function runTcpTrace(
  plan: TracePlan,
  probe: TtlProbe,
  onRecord?: (record: SynAttemptRecord) => void,
): Promise<TraceHop[]> {
  const records: SynAttemptRecord[] = [];
  for (let first = 1; first <= plan.maxHops; first += plan.wave) {
    const last = Math.min(plan.maxHops, first + plan.wave - 1);
    const wave: Promise<void>[] = [];
    for (let ttl = first; ttl <= last; ttl++) {
      for (let q = 0; q < plan.queries; q++) {
        wave.push(
          probe(plan.target, plan.policy, ttl).then((record) => {
            records.push(record);
            onRecord?.(record);
          }),
        );
      }
    }
    await Promise.all(wave);
    const hops = traceHops(records);
    if (hops.some((h) => h.final)) return hops;
  }
  return traceHops(records);
}
