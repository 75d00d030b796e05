import type { AddressFamily } from './address-family.ts';
import type { IcmpMeaning } from './icmp-meaning.ts';
import type { ConnectOutcome, SynOutcome } from './probe-outcome.ts';

/** Version of the attempt-record wire format; bumped on any incompatible change. */
export const ATTEMPT_RECORD_VERSION = 1;

/** What was probed. `name` is the label users gave (hostname, or the address itself). */
export type ProbeTarget = {
  name: string;
  /** Literal IP address, never a hostname: names are resolved before probing. */
  address: string;
  port: number;
  family: AddressFamily;
};

/** Where the SYN left from: the address the kernel's route lookup chose, and our port. */
export type ProbeSource = {
  address: string;
  /** Our port; 0 only when a connect() failed before the kernel's choice could be read. */
  port: number;
};

/** Fields read from a matched SYN-ACK. */
export type SynAckDetails = {
  /** Raw 16-bit window of the SYN-ACK (unscaled, as RFC 7323 2.2 requires for SYNs). */
  window: number;
  /**
   * TTL (IPv4) or hop limit (IPv6) the SYN-ACK arrived with. `null` only when the kernel did not
   * report it.
   */
  ttl: number | null;
  /** MSS option value, or `null` when the server sent none. */
  mss: number | null;
  /** Window-scale shift, or `null` when absent. */
  windowScale: number | null;
  sackPermitted: boolean;
  /** Whether the SYN-ACK carried an RFC 7323 timestamps option. */
  timestamps: boolean;
};

/** An ICMP or ICMPv6 error that quoted our SYN. */
export type IcmpDetails = {
  type: number;
  code: number;
  /** Address of the host that sent the error: the server itself, or a router on the path. */
  from: string;
  meaning: IcmpMeaning;
};

/** A local failure: stable `code` (`SYNACK_ERR_*` or an errno name) and one-line explanation. */
export type ErrorDetails = {
  code: string;
  message: string;
};

type AttemptBase = {
  v: typeof ATTEMPT_RECORD_VERSION;
  /** Unique per attempt: a UUID (RFC 9562; runners make version 8, random prefix and counter). */
  id: string;
  target: ProbeTarget;
  /** `null` when no source could be chosen (no route on this host). */
  source: ProbeSource | null;
  /** Wall-clock start, ISO 8601 with milliseconds. */
  startedAt: string;
  /**
   * Send time of every SYN, first then retransmissions, in microseconds after `startedAt`
   * (monotonic clock). For connect probes only the `connect()` call is known: one entry, after
   * the route lookup.
   */
  synSentUs: number[];
  /** When the answer arrived, microseconds after `startedAt`; `null` without an answer. */
  answerUs: number | null;
  /**
   * Round-trip time in microseconds from the SYN that was answered to its answer; `null` without
   * an answer. For connect probes: the whole `connect()` duration.
   */
  rttUs: number | null;
  /**
   * SYN retransmissions. Raw SYN: exact. Connect: inferred from the duration and Linux's SYN
   * schedule (initial RTO 1 s, doubling), as the kernel does not report it to the caller.
   */
  retransmits: number;
  /** Set for TTL/hop-limit-limited SYNs (`synack trace`). */
  sentTtl?: number;
  icmp?: IcmpDetails;
  error?: ErrorDetails;
};

/** One raw-SYN handshake attempt. */
export type SynAttemptRecord = AttemptBase & {
  kind: 'syn';
  outcome: SynOutcome;
  /** Which SYN (index into `synSentUs`) the answer was for, from the echoed TSecr; else `null`. */
  answeredSyn: number | null;
  synack?: SynAckDetails;
};

/** One full `connect()` attempt. */
export type ConnectAttemptRecord = AttemptBase & {
  kind: 'connect';
  outcome: ConnectOutcome;
};

/**
 * The record of one handshake attempt: the contract between runners, the collector, traces and
 * SLOs. JSON field names are stable; tools parse them.
 */
export type AttemptRecord = SynAttemptRecord | ConnectAttemptRecord;
