import type { Counters } from './parse-proc-counters.ts';

// Values in the counter files that are settings or gauges, not counters: a delta means nothing
// (iproute2's nstat skips the same ones, its `useless_numbers`).
const NOT_COUNTERS = new Set([
  'IpForwarding',
  'IpDefaultTTL',
  'TcpRtoAlgorithm',
  'TcpRtoMin',
  'TcpRtoMax',
  'TcpMaxConn',
  'TcpCurrEstab',
]);

/**
 * How much each counter rose from `previous` to `current`; only counters that moved are listed.
 * A counter missing from `previous` counts from 0 (IcmpMsg and Icmp6 type counters appear the
 * first time a type is seen). A counter that went backwards was reset (reboot, a namespace
 * re-created, a 32-bit wrap): its increase is taken to be its current value, never negative.
 */
export function counterDeltas(previous: Counters, current: Counters): Counters {
  const deltas: Counters = {};
  for (const [name, value] of Object.entries(current)) {
    if (NOT_COUNTERS.has(name)) continue;
    const before = previous[name] ?? 0;
    const delta = value >= before ? value - before : Math.max(value, 0);
    if (delta !== 0) deltas[name] = delta;
  }
  return deltas;
}
