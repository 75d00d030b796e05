import { ATTEMPT_RECORD_VERSION, type AttemptRecord, type ProbeTarget } from '@synack/shared/attempt-record';
import type { ProbeKind } from '@synack/shared/probe-outcome';

/**
 * The record of an attempt the runner refused to make (outside the allow-list, over the rate cap,
 * a name that did not resolve): a `local_error` with the code, nothing sent. For a name that did
 * not resolve, `target.address` is the family's unspecified address.
 */
export function refusedRecord(
  kind: ProbeKind,
  target: ProbeTarget,
  code: string,
  message: string,
  id: string,
  startedAt: string,
): AttemptRecord {
  const base = {
    v: ATTEMPT_RECORD_VERSION as typeof ATTEMPT_RECORD_VERSION,
    id,
    target,
    source: null,
    startedAt,
    synSentUs: [],
    answerUs: null,
    rttUs: null,
    retransmits: 0,
    outcome: 'local_error' as const,
    error: { code, message },
  };
  return kind === 'syn' ? { ...base, kind, answeredSyn: null } : { ...base, kind };
}
