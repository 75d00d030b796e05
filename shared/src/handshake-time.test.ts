import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from './attempt-record.ts';
import { handshakeUs } from './handshake-time.ts';

const base = {
  v: 1 as const,
  id: 'x',
  target: { name: 'web', address: '192.0.2.1', port: 443, family: 'v4' as const },
  source: { address: '192.0.2.2', port: 40_000 },
  startedAt: '2026-11-23T12:00:00.000Z',
  retransmits: 1,
};

describe('handshakeUs', () => {
  it('counts a SYN retransmission in the handshake time, from the first SYN', () => {
    const syn: AttemptRecord = {
      ...base,
      kind: 'syn',
      outcome: 'synack',
      synSentUs: [100, 1_000_100],
      answerUs: 1_020_100,
      rttUs: 20_000,
      answeredSyn: 1,
    };
    expect(handshakeUs(syn)).toBe(1_020_000);
  });

  it('is the whole connect() for connect probes, and null without a handshake', () => {
    const connect: AttemptRecord = {
      ...base,
      kind: 'connect',
      outcome: 'established',
      synSentUs: [50],
      answerUs: 1_003_050,
      rttUs: 1_003_000,
    };
    expect(handshakeUs(connect)).toBe(1_003_000);
    expect(handshakeUs({ ...connect, outcome: 'refused', rttUs: null })).toBeNull();
  });
});
