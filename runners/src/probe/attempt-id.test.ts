import { describe, expect, it } from 'vitest';
import { createAttemptIds, nextAttemptId } from './attempt-id.ts';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('attempt ids', () => {
  it('are RFC 9562 version 8 UUIDs with the variant bits set', () => {
    const next = createAttemptIds(new Uint8Array(16).fill(0xff));
    const id = next();
    expect(id).toMatch(UUID_V8);
    expect(id.slice(0, 24)).toBe('ffffffff-ffff-8fff-bfff-');
    expect(nextAttemptId()).toMatch(UUID_V8);
  });

  it('count up in the last 48 bits and wrap around without repeating a neighbour', () => {
    const seed = new Uint8Array(16);
    seed.fill(0xff, 10);
    const next = createAttemptIds(seed);
    expect(next().slice(24)).toBe('000000000000');
    expect(next().slice(24)).toBe('000000000001');
    const ids = new Set(Array.from({ length: 10_000 }, next));
    expect(ids.size).toBe(10_000);
  });

  it('differ between generators with different seeds', () => {
    const a = createAttemptIds(new Uint8Array(16).fill(1));
    const b = createAttemptIds(new Uint8Array(16).fill(2));
    expect(a()).not.toBe(b());
  });

  it('reject a seed of the wrong size', () => {
    expect(() => createAttemptIds(new Uint8Array(8))).toThrow(/16 bytes/);
  });
});
