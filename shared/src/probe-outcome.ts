/**
 * What one raw-SYN attempt saw. Every value is an answer or its absence, never an exception.
 * - `synack`: a SYN-ACK whose 4-tuple matches and whose `ack == isn + 1`.
 * - `rst`: an RST (or RST-ACK) acceptable in SYN-SENT per RFC 9293 3.10.7.3.
 * - `icmp`: an ICMP/ICMPv6 error quoting our SYN (unreachable, admin-prohibited, time-exceeded...).
 * - `timeout`: silence until the attempt's deadline, after all retransmissions.
 * - `local_error`: nothing (or not everything) left this host: no route, no raw-socket privilege...
 */
export const SynOutcome = {
  synack: 'synack',
  rst: 'rst',
  icmp: 'icmp',
  timeout: 'timeout',
  localError: 'local_error',
} as const;
export type SynOutcome = (typeof SynOutcome)[keyof typeof SynOutcome];

/**
 * What one full `connect()` attempt saw, from the kernel's errno.
 * - `established`: the three-way handshake completed.
 * - `refused`: ECONNREFUSED (an RST answered the SYN).
 * - `timeout`: no answer before the deadline (ours, or the kernel's ETIMEDOUT).
 * - `unreachable`: an ICMP error came back (EHOSTUNREACH, ENETUNREACH from a router, EACCES...).
 * - `reset`: ECONNRESET during the handshake.
 * - `local_error`: the attempt failed on this host (no route, no source address, local firewall).
 */
export const ConnectOutcome = {
  established: 'established',
  refused: 'refused',
  timeout: 'timeout',
  unreachable: 'unreachable',
  reset: 'reset',
  localError: 'local_error',
} as const;
export type ConnectOutcome = (typeof ConnectOutcome)[keyof typeof ConnectOutcome];

/** The kind of probe that produced an attempt record. */
export const ProbeKind = {
  syn: 'syn',
  connect: 'connect',
} as const;
export type ProbeKind = (typeof ProbeKind)[keyof typeof ProbeKind];

/** True for the outcomes that mean "the handshake would have succeeded". */
export function isAnswered(outcome: SynOutcome | ConnectOutcome): boolean {
  return outcome === SynOutcome.synack || outcome === ConnectOutcome.established;
}
