/**
 * Stable codes for operational errors. Callers match on `code`, never on `message`.
 */
export const ErrorCode = {
  rawSocketDenied: 'SYNACK_ERR_RAW_SOCKET_DENIED',
  noRoute: 'SYNACK_ERR_NO_ROUTE',
  sendFailed: 'SYNACK_ERR_SEND_FAILED',
  sourceAddress: 'SYNACK_ERR_SOURCE_ADDRESS',
  localFirewall: 'SYNACK_ERR_LOCAL_FIREWALL',
  badTarget: 'SYNACK_ERR_BAD_TARGET',
  resolveFailed: 'SYNACK_ERR_RESOLVE_FAILED',
  badOption: 'SYNACK_ERR_BAD_OPTION',
  portsExhausted: 'SYNACK_ERR_PORTS_EXHAUSTED',
  socketFailed: 'SYNACK_ERR_SOCKET',
  engineClosed: 'SYNACK_ERR_ENGINE_CLOSED',
  configInvalid: 'SYNACK_ERR_CONFIG_INVALID',
  /** A runner refused a target outside the configured allow-list, and probed nothing. */
  notAllowed: 'SYNACK_ERR_NOT_ALLOWED',
  /** A runner skipped an attempt: the per-target probe rate cap was reached. */
  rateLimited: 'SYNACK_ERR_RATE_LIMITED',
  /** An on-demand probe named a region with no live runner. */
  noRunner: 'SYNACK_ERR_NO_RUNNER',
  /** A job or result batch failed its schema. */
  badMessage: 'SYNACK_ERR_BAD_MESSAGE',
  /** An on-demand probe did not get every region's results in time. */
  probeTimeout: 'SYNACK_ERR_PROBE_TIMEOUT',
  /**
   * A runner refused a probe job that was unsigned, signed with a key it does not know, badly
   * signed, or (on-demand) stale: it probed nothing.
   */
  badSignature: 'SYNACK_ERR_BAD_SIGNATURE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error class for operational failures, carrying a stable `code` and the `cause`. */
export class SynackError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynackError';
    this.code = code;
  }
}

export function isSynackError(value: unknown, code?: ErrorCode): value is SynackError {
  return value instanceof SynackError && (code === undefined || value.code === code);
}
