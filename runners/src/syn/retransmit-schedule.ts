/** How a SYN probe retransmits and when it gives up. */
export type RetransmitPolicy = {
  /** Wait for an answer, from the first SYN, in ms. */
  timeoutMs: number;
  /** Initial retransmission timeout in ms, doubled after each retransmission. Linux: 1000 (TCP_TIMEOUT_INIT). 0 disables retransmission. */
  rtoMs: number;
  /** Upper bound on retransmissions. Linux: net.ipv4.tcp_syn_retries = 6. */
  maxRetransmits: number;
};

/** Longest delay a Node timer honours (2^31-1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Linux's schedule: SYNs at +0, +1 s, +3 s, +7 s... */
export const LINUX_RETRANSMITS: Omit<RetransmitPolicy, 'timeoutMs'> = { rtoMs: 1000, maxRetransmits: 6 };

/**
 * Offsets in ms, from the first SYN, of every SYN to send: 0, then each retransmission after an
 * RTO that doubles (RFC 6298 5.5), as long as it falls before the timeout.
 */
export function synSendOffsetsMs(policy: RetransmitPolicy): number[] {
  // Node clamps longer timers to 1 ms, which would end every attempt at once.
  if (!(policy.timeoutMs > 0 && policy.timeoutMs <= MAX_TIMER_MS)) {
    throw new RangeError(`timeoutMs must be 1..${MAX_TIMER_MS}, got ${policy.timeoutMs}`);
  }
  const offsets = [0];
  if (policy.rtoMs <= 0) return offsets;
  let at = 0;
  let rto = policy.rtoMs;
  for (let i = 0; i < policy.maxRetransmits; i++) {
    at += rto;
    if (at >= policy.timeoutMs) break;
    offsets.push(at);
    rto *= 2;
  }
  return offsets;
}
