import { describe, expect, it, vi } from 'vitest';
import { isCi, requireLabOrSkip } from './lab-availability.ts';

// Runs everywhere, root or not: the CI-must-fail rule is the part most likely to regress silently.
describe('requireLabOrSkip', () => {
  const unavailable = { ok: false as const, why: 'needs root' };

  it('runs the suite when the lab is available, in CI or not', () => {
    expect(requireLabOrSkip({ ok: true }, {})).toBe(false);
    expect(requireLabOrSkip({ ok: true }, { CI: 'true' })).toBe(false);
  });

  it('skips, saying why, when the lab is unavailable outside CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(requireLabOrSkip(unavailable, {})).toBe(true);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('needs root'));
    } finally {
      warn.mockRestore();
    }
  });

  it('throws instead of skipping in CI', () => {
    expect(() => requireLabOrSkip(unavailable, { CI: 'true' })).toThrow(/unavailable in CI.*needs root/);
  });

  it('reads CI like CI systems set it', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({})).toBe(false);
  });
});
