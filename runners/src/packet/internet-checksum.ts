/**
 * One's-complement sum of 16-bit big-endian words over `bytes[start, end)`, added to `sum`.
 * RFC 1071: an odd trailing byte is padded with zero.
 */
export function onesComplementSum(bytes: Uint8Array, start = 0, end = bytes.length, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < end) sum += (bytes[i] as number) << 8;
  return sum;
}

/** Folds a 32-bit running sum to 16 bits and complements it: the value to put on the wire. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Internet checksum of a whole buffer (RFC 1071). A buffer that carries its own valid checksum sums to 0. */
export function internetChecksum(bytes: Uint8Array): number {
  return finishChecksum(onesComplementSum(bytes));
}
