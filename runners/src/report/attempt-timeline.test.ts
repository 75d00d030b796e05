import type { AttemptRecord } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import { formatAttemptTimeline } from './attempt-timeline.ts';

const base = {
  v: 1 as const,
  id: 'x',
  target: { name: 't', address: '2001:db8::10', port: 443, family: 'v6' as const },
  source: { address: '2001:db8::1', port: 40211 },
  startedAt: '',
  answeredSyn: null,
};

describe('formatAttemptTimeline', () => {
  it('tells the SYN story: retransmissions, then the answer and its RTT', () => {
    const r: AttemptRecord = {
      ...base,
      kind: 'syn',
      outcome: 'synack',
      synSentUs: [10, 1_000_010],
      answerUs: 1_000_430,
      rttUs: 420,
      retransmits: 1,
      answeredSyn: 1,
      synack: { window: 64240, ttl: null, mss: 1440, windowScale: 7, sackPermitted: true, timestamps: true },
    };
    expect(formatAttemptTimeline(r, 3000)).toMatch(
      /^syn {5}\[2001:db8::10\]:443 +from \[2001:db8::1\]:40211 +SYN sent, retransmitted at \+1\.0 s, SYN-ACK after 0\.42 ms \(to SYN #2\) {2}\[win 64240 mss 1440 ws 7 sack ts\]$/,
    );
  });

  it('names ICMP errors by meaning and sender, and timeouts by their wait', () => {
    const icmp: AttemptRecord = {
      ...base,
      kind: 'syn',
      outcome: 'icmp',
      synSentUs: [0],
      answerUs: 300,
      rttUs: 300,
      retransmits: 0,
      icmp: { type: 1, code: 1, from: '2001:db8:5::10', meaning: 'admin_prohibited' },
    };
    expect(formatAttemptTimeline(icmp, 3000)).toContain(
      'ICMP admin-prohibited (1/1) from 2001:db8:5::10 after 0.30 ms',
    );
    const timeout: AttemptRecord = { ...icmp, outcome: 'timeout', icmp: undefined, rttUs: null, answerUs: null };
    expect(formatAttemptTimeline(timeout, 3000)).toContain('SYN sent, no answer after 3.00 s');
  });

  it('describes connect outcomes with their errno', () => {
    const r: AttemptRecord = {
      ...base,
      kind: 'connect',
      outcome: 'unreachable',
      synSentUs: [0],
      answerUs: 3_010_000,
      rttUs: 3_010_000,
      retransmits: 2,
      error: { code: 'EHOSTUNREACH', message: 'x' },
    };
    expect(formatAttemptTimeline(r, 5000)).toContain('unreachable after 3.01 s (2 SYN retransmits): EHOSTUNREACH');
  });
});
