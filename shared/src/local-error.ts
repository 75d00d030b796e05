import { ErrorType } from './error-type.ts';
import { ErrorCode } from './synack-error.ts';

/** Where on this host an attempt failed: the route lookup, the raw send, or `connect()`. */
export type LocalStage = 'route' | 'send' | 'connect';

/** A local failure as attempt records carry it: a stable code and one line. */
export type LocalError = { code: ErrorCode; message: string };

const NO_ROUTE = new Set(['ENETUNREACH', 'EHOSTUNREACH']);

/**
 * The one mapping from an errno met on this host to a stable code, so a SYN probe and a connect
 * probe that fail the same way say the same thing. EPERM on a send or connect comes from the
 * netfilter OUTPUT chain.
 */
export function localErrorFromErrno(errno: string, stage: LocalStage, destination: string): LocalError {
  if (NO_ROUTE.has(errno)) {
    return { code: ErrorCode.noRoute, message: `no route to ${destination} on this host (${errno})` };
  }
  if (errno === 'EPERM' && stage !== 'route') {
    return {
      code: ErrorCode.localFirewall,
      message: `a local firewall rule dropped the SYN to ${destination} (EPERM)`,
    };
  }
  if (stage === 'send')
    return { code: ErrorCode.sendFailed, message: `sending the SYN to ${destination} failed (${errno})` };
  return { code: ErrorCode.sourceAddress, message: `no usable source address toward ${destination} (${errno})` };
}

const ERROR_TYPE: Partial<Record<string, ErrorType>> = {
  [ErrorCode.noRoute]: ErrorType.noRoute,
  [ErrorCode.localFirewall]: ErrorType.localFirewall,
  [ErrorCode.rawSocketDenied]: ErrorType.permissionDenied,
  [ErrorCode.sourceAddress]: ErrorType.addressNotAvailable,
};

/** The `error.type` of a local error code; one low-cardinality value per code. */
export function localErrorType(code: string | undefined): ErrorType {
  return (code && ERROR_TYPE[code]) || ErrorType.other;
}
