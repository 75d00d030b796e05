import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from './secret.ts';

describe('Secret', () => {
  const secret = new Secret('s3cr3t-value');

  it('gives its value only through reveal()', () => {
    expect(secret.reveal()).toBe('s3cr3t-value');
  });

  it('shows as [redacted] in JSON, inspect, templates and nested objects', () => {
    const holder = { slack: { signingSecret: secret } };
    for (const text of [JSON.stringify(holder), inspect(holder, { depth: 9 }), `${secret}`, String(secret)]) {
      expect(text).not.toContain('s3cr3t');
      expect(text).toContain('[redacted]');
    }
  });

  it('refuses an empty secret', () => {
    expect(() => new Secret('')).toThrow(TypeError);
  });
});
