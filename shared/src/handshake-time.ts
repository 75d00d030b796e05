import type { AttemptRecord } from './attempt-record.ts';
import { isAnswered } from './probe-outcome.ts';

/**
 * How long the handshake took as a client would see it, in microseconds: from the first SYN to
 * the answer that completed it. A raw SYN answered after a retransmission took the retransmission
 * time too (its `rttUs` is only from the SYN that was answered); a connect probe's `rttUs` is the
 * whole `connect()` already. `null` when the handshake did not complete. Pure.
 */
export function handshakeUs(record: AttemptRecord): number | null {
  if (!isAnswered(record.outcome)) return null;
  if (record.kind === 'syn') {
    const first = record.synSentUs[0];
    if (record.answerUs !== null && first !== undefined) return Math.max(0, record.answerUs - first);
  }
  return record.rttUs;
}
