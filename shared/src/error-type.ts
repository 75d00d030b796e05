import { ConnectOutcome } from './probe-outcome.ts';

/**
 * Low-cardinality OpenTelemetry `error.type` values for failed attempts. ICMP errors use the
 * `IcmpMeaning` names (which overlap on `host_unreachable` and `network_unreachable`).
 */
export const ErrorType = {
  connectionRefused: 'connection_refused',
  timedOut: 'timed_out',
  hostUnreachable: 'host_unreachable',
  networkUnreachable: 'network_unreachable',
  adminProhibited: 'admin_prohibited',
  connectionReset: 'connection_reset',
  addressNotAvailable: 'address_not_available',
  hostDown: 'host_down',
  localFirewall: 'local_firewall',
  noRoute: 'no_route',
  permissionDenied: 'permission_denied',
  other: '_OTHER',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

type ErrnoMapping = { readonly outcome: ConnectOutcome; readonly errorType: ErrorType };

const o = ConnectOutcome;
const t = ErrorType;

// One table for every errno a connect() can end with. EPERM comes from the local netfilter
// OUTPUT chain; EACCES from an ICMPv6 admin-prohibited (icmpv6_err_convert()).
const ERRNO: Record<string, ErrnoMapping> = {
  ECONNREFUSED: { outcome: o.refused, errorType: t.connectionRefused },
  ETIMEDOUT: { outcome: o.timeout, errorType: t.timedOut },
  EHOSTUNREACH: { outcome: o.unreachable, errorType: t.hostUnreachable },
  ENETUNREACH: { outcome: o.unreachable, errorType: t.networkUnreachable },
  EACCES: { outcome: o.unreachable, errorType: t.adminProhibited },
  EHOSTDOWN: { outcome: o.unreachable, errorType: t.hostDown },
  ENONET: { outcome: o.unreachable, errorType: t.hostUnreachable },
  ECONNRESET: { outcome: o.reset, errorType: t.connectionReset },
  ECONNABORTED: { outcome: o.reset, errorType: t.connectionReset },
  EPIPE: { outcome: o.reset, errorType: t.connectionReset },
  EPERM: { outcome: o.localError, errorType: t.localFirewall },
  EADDRNOTAVAIL: { outcome: o.localError, errorType: t.addressNotAvailable },
  EADDRINUSE: { outcome: o.localError, errorType: t.addressNotAvailable },
};

/** Maps a Node `err.code` (errno name) from `connect()` to an outcome and an `error.type`. */
export function classifyErrno(code: string | undefined): ErrnoMapping {
  return (code && ERRNO[code]) || { outcome: o.localError, errorType: t.other };
}
