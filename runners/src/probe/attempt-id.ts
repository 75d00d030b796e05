import { randomBytes } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const COUNTER_SPACE = 2 ** 48;

/**
 * Makes attempt ids: RFC 9562 UUIDv8 strings whose first 74 bits are random per generator and
 * whose last 48 bits count up from a random start. They are as unique as random UUIDs across
 * runners and restarts, and unique by construction within one, at a fraction of the cost of
 * `crypto.randomUUID()`, which allocates about 0.5 KB per call: at tens of thousands of
 * attempts per second that garbage was a large part of the engine's CPU time.
 *
 * `seed` is 16 bytes (random in production; fixed in tests).
 */
export function createAttemptIds(seed: Uint8Array): () => string {
  if (seed.length !== 16) throw new RangeError(`attempt-id seed must be 16 bytes, got ${seed.length}`);
  const b = Array.from(seed, (byte) => HEX[byte] as string);
  // Version 8 in the high nibble of byte 6, variant 0b10 in the top bits of byte 8.
  b[6] = HEX[(8 << 4) | ((seed[6] as number) & 0x0f)] as string;
  b[8] = HEX[0x80 | ((seed[8] as number) & 0x3f)] as string;
  const prefix = `${b[0]}${b[1]}${b[2]}${b[3]}-${b[4]}${b[5]}-${b[6]}${b[7]}-${b[8]}${b[9]}-`;
  let counter = Number(Buffer.from(seed.subarray(10, 16)).readUIntBE(0, 6));
  return () => {
    counter = (counter + 1) % COUNTER_SPACE;
    return prefix + counter.toString(16).padStart(12, '0');
  };
}

/** The process-wide attempt id generator. */
export const nextAttemptId: () => string = createAttemptIds(randomBytes(16));
