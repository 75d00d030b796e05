import { describe, expect, it } from 'vitest';
import { RTT_BIN_COUNT, RTT_BIN_EDGES_US, rttBin } from './rtt-bins.ts';

describe('rttBin', () => {
  it('puts each edge in its own bin (edges are inclusive)', () => {
    expect(RTT_BIN_EDGES_US.map(rttBin)).toEqual([0, 1, 2, 3, 4]);
  });

  it('puts values between edges in the next bin up, and everything above 500 ms in the last', () => {
    expect([0, 1_001, 5_001, 20_001, 100_001, 500_001, 10_000_000].map(rttBin)).toEqual([0, 1, 2, 3, 4, 5, 5]);
    expect(RTT_BIN_COUNT).toBe(6);
  });

  it('refuses negative and non-finite RTTs', () => {
    expect(() => rttBin(-1)).toThrow(RangeError);
    expect(() => rttBin(Number.NaN)).toThrow(RangeError);
    expect(() => rttBin(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
