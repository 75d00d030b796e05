import { ATTEMPT_RECORD_VERSION, type ProbeTarget, type SynAttemptRecord } from '@synack/shared/attempt-record';
import { icmpMeaning } from '@synack/shared/icmp-meaning';
import type { TcpSegment } from '../packet/tcp-segment-decoder.ts';

/** How an attempt ended, as the engine saw it. */
export type SynEnding =
  | { kind: 'synack'; segment: TcpSegment; ttl: number | null; at: number }
  | { kind: 'rst'; segment: TcpSegment; at: number }
  | {
      kind: 'icmp';
      type: number;
      code: number;
      from: string;
      quotedIpId: number | null;
      quotedTsVal: number | null;
      at: number;
    }
  | { kind: 'timeout' }
  | { kind: 'local_error'; code: string; message: string };

/** What the engine knows about an attempt when it ends. Times are `performance.now()` ms. */
export type SynAttemptState = {
  id: string;
  target: ProbeTarget;
  source: { address: string; port: number } | null;
  startedAt: string;
  /** `performance.now()` at `startedAt`. */
  origin: number;
  sentAt: readonly number[];
  ipIds: readonly number[];
  tsBase: number;
  sentTtl?: number;
};

const us = (ms: number) => Math.round(ms * 1000);

/**
 * Which SYN an answer belongs to: a SYN-ACK echoes our TSval (RFC 7323 3.2), an ICMP error may
 * quote the whole SYN with its TSval, and an ICMPv4 error always quotes our IP id. Without either, the latest SYN sent before the answer is assumed (Karn's
 * ambiguity, RFC 6298 3).
 */
function answeredIndex(state: SynAttemptState, ending: SynEnding & { at: number }): { index: number; exact: boolean } {
  if (ending.kind === 'synack' && ending.segment.tsEcr !== null) {
    const index = (ending.segment.tsEcr - state.tsBase) >>> 0;
    if (index < state.sentAt.length) return { index, exact: true };
  }
  if (ending.kind === 'icmp' && ending.quotedTsVal !== null) {
    const index = (ending.quotedTsVal - state.tsBase) >>> 0;
    if (index < state.sentAt.length) return { index, exact: true };
  }
  if (ending.kind === 'icmp' && ending.quotedIpId !== null) {
    const index = state.ipIds.indexOf(ending.quotedIpId);
    if (index >= 0) return { index, exact: true };
  }
  let index = 0;
  for (let i = 0; i < state.sentAt.length; i++) if ((state.sentAt[i] as number) <= ending.at) index = i;
  return { index, exact: false };
}

/** Builds the wire record of a finished raw-SYN attempt. Pure: all times come from `state`/`ending`. */
export function buildSynRecord(state: SynAttemptState, ending: SynEnding): SynAttemptRecord {
  const record: SynAttemptRecord = {
    v: ATTEMPT_RECORD_VERSION,
    id: state.id,
    kind: 'syn',
    target: state.target,
    source: state.source,
    startedAt: state.startedAt,
    synSentUs: state.sentAt.map((t) => us(t - state.origin)),
    answerUs: null,
    rttUs: null,
    retransmits: Math.max(0, state.sentAt.length - 1),
    outcome: ending.kind,
    answeredSyn: null,
  };
  if (state.sentTtl !== undefined) record.sentTtl = state.sentTtl;
  if (ending.kind === 'timeout') return record;
  if (ending.kind === 'local_error') {
    record.error = { code: ending.code, message: ending.message };
    return record;
  }
  const { index, exact } = answeredIndex(state, ending);
  record.answerUs = us(ending.at - state.origin);
  record.rttUs = Math.max(0, us(ending.at - (state.sentAt[index] as number)));
  record.answeredSyn = exact ? index : null;
  if (ending.kind === 'synack') {
    const s = ending.segment;
    record.synack = {
      window: s.window,
      ttl: ending.ttl,
      mss: s.mss,
      windowScale: s.windowScale,
      sackPermitted: s.sackPermitted,
      timestamps: s.tsVal !== null,
    };
  } else if (ending.kind === 'icmp') {
    record.icmp = {
      type: ending.type,
      code: ending.code,
      from: ending.from,
      meaning: icmpMeaning(state.target.family, ending.type, ending.code),
    };
  }
  return record;
}
