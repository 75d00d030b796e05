import type { AttemptRecord } from './attempt-record.ts';
import { classifyErrno, ErrorType } from './error-type.ts';
import type { IcmpMeaning } from './icmp-meaning.ts';
import { localErrorType } from './local-error.ts';

/**
 * The OpenTelemetry `error.type` of an attempt, or `undefined` when the handshake succeeded.
 * One mapping for both probe kinds, so traces and metrics agree.
 */
export function attemptErrorType(record: AttemptRecord): ErrorType | IcmpMeaning | undefined {
  switch (record.outcome) {
    case 'synack':
    case 'established':
      return undefined;
    case 'rst':
    case 'refused':
      return ErrorType.connectionRefused;
    case 'timeout':
      return ErrorType.timedOut;
    case 'reset':
      return ErrorType.connectionReset;
    case 'icmp':
      return record.icmp?.meaning ?? ErrorType.other;
    case 'unreachable':
      return record.icmp?.meaning ?? classifyErrno(record.error?.code).errorType;
    case 'local_error':
      return localErrorType(record.error?.code);
  }
}
