import { describe, expect, it } from 'vitest';
import { inferSynRetransmits } from './infer-syn-retransmits.ts';

describe('inferSynRetransmits', () => {
  it('counts the SYNs Linux sends at +1, +3, +7 s', () => {
    expect(inferSynRetransmits(0.4)).toBe(0);
    expect(inferSynRetransmits(999)).toBe(0);
    expect(inferSynRetransmits(1002)).toBe(1);
    expect(inferSynRetransmits(3001)).toBe(2);
    expect(inferSynRetransmits(5000)).toBe(2);
    expect(inferSynRetransmits(7000.5)).toBe(3);
    expect(inferSynRetransmits(1e9)).toBe(6);
  });
});
