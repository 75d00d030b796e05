import { describe, expect, it } from 'vitest';
import type { TcpSegment } from '../packet/tcp-segment-decoder.ts';
import { buildSynRecord, type SynAttemptState } from './syn-record.ts';

const state: SynAttemptState = {
  id: 'a1',
  target: { name: 'web', address: '2001:db8::10', port: 443, family: 'v6' },
  source: { address: '2001:db8::1', port: 40000 },
  startedAt: '2026-11-23T12:00:00.000Z',
  origin: 100,
  sentAt: [100.25, 1100.5, 3101],
  ipIds: [11, 22, 33],
  tsBase: 0xfffffffe,
};

const segment = (tsEcr: number | null): TcpSegment => ({
  sourcePort: 443,
  destinationPort: 40000,
  seq: 1,
  ack: 2,
  flags: 0x12,
  window: 65160,
  start: 0,
  length: 40,
  mss: 1440,
  windowScale: 7,
  sackPermitted: true,
  tsVal: tsEcr === null ? null : 5,
  tsEcr,
});

describe('buildSynRecord', () => {
  it('times a SYN-ACK against the SYN whose TSval it echoes, across 2^32 wrap', () => {
    const r = buildSynRecord(state, { kind: 'synack', segment: segment(0), ttl: null, at: 3101.42 });
    expect(r).toMatchObject({
      kind: 'syn',
      outcome: 'synack',
      synSentUs: [250, 1_000_500, 3_001_000],
      retransmits: 2,
      answeredSyn: 2,
      rttUs: 420,
      answerUs: 3_001_420,
      synack: { window: 65160, ttl: null, mss: 1440, windowScale: 7, sackPermitted: true, timestamps: true },
    });
    const first = buildSynRecord(state, { kind: 'synack', segment: segment(0xfffffffe), ttl: 60, at: 3200 });
    expect(first.answeredSyn).toBe(0);
    expect(first.rttUs).toBe(3_099_750);
  });

  it('falls back to the latest SYN before the answer without an echo (Karn)', () => {
    const r = buildSynRecord(state, { kind: 'rst', segment: segment(null), at: 1200.5 });
    expect(r).toMatchObject({ outcome: 'rst', answeredSyn: null, rttUs: 100_000 });
    expect(r.synack).toBeUndefined();
  });

  it('attributes an ICMP error by the quoted IP id and names its meaning', () => {
    const r = buildSynRecord(
      { ...state, target: { ...state.target, family: 'v4', address: '198.51.100.7' } },
      { kind: 'icmp', type: 3, code: 13, from: '198.51.100.7', quotedIpId: 22, quotedTsVal: null, at: 1101 },
    );
    expect(r).toMatchObject({ outcome: 'icmp', answeredSyn: 1, rttUs: 500 });
    expect(r.icmp).toEqual({ type: 3, code: 13, from: '198.51.100.7', meaning: 'admin_prohibited' });
  });

  it('attributes an ICMPv6 error by the TSval of the SYN it quotes', () => {
    const r = buildSynRecord(state, {
      kind: 'icmp',
      type: 1,
      code: 1,
      from: '2001:db8::10',
      quotedIpId: null,
      quotedTsVal: (state.tsBase + 1) >>> 0,
      at: 1101,
    });
    expect(r).toMatchObject({ outcome: 'icmp', answeredSyn: 1, rttUs: 500 });
  });

  it('records timeouts and local errors without an answer', () => {
    expect(buildSynRecord(state, { kind: 'timeout' })).toMatchObject({
      outcome: 'timeout',
      rttUs: null,
      answerUs: null,
    });
    const err = buildSynRecord(
      { ...state, source: null, sentAt: [] },
      { kind: 'local_error', code: 'SYNACK_ERR_NO_ROUTE', message: 'no route' },
    );
    expect(err).toMatchObject({
      outcome: 'local_error',
      retransmits: 0,
      synSentUs: [],
      error: { code: 'SYNACK_ERR_NO_ROUTE' },
    });
  });
});
