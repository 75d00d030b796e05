// Linux: TCP_TIMEOUT_INIT is 1 s and each SYN retransmission doubles it (tcp_retransmit_timer()),
// so SYNs leave at +0, +1, +3, +7, +15 s... The last one sent before `elapsedMs` is the count.
const INITIAL_RTO_MS = 1000;

/**
 * SYN retransmissions the kernel made during a connect() that took `elapsedMs` (measured from
 * before the call, so never shorter than the kernel's own view): every retransmission that fell
 * due before the attempt ended was sent.
 */
export function inferSynRetransmits(elapsedMs: number): number {
  let count = 0;
  let due = INITIAL_RTO_MS;
  let rto = INITIAL_RTO_MS;
  while (due < elapsedMs && count < 6) {
    count++;
    rto *= 2;
    due += rto;
  }
  return count;
}
