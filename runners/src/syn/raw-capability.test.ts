import { describe, expect, it } from 'vitest';
import { hasCapNetRaw } from './raw-capability.ts';

describe('hasCapNetRaw', () => {
  it('reads bit 13 of CapEff', () => {
    expect(hasCapNetRaw('Name:\tnode\nCapEff:\t000001ffffffffff\n')).toBe(true);
    expect(hasCapNetRaw('CapEff:\t0000000000002000\n')).toBe(true);
    expect(hasCapNetRaw('CapEff:\t0000000000001000\n')).toBe(false);
    expect(hasCapNetRaw('CapEff:\t0000000000000000\n')).toBe(false);
  });

  it('is false when the line is missing or garbled', () => {
    expect(hasCapNetRaw('CapPrm:\t0000000000002000\n')).toBe(false);
    expect(hasCapNetRaw('CapEff:\tzz\n')).toBe(false);
  });
});
