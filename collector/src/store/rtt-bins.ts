/**
 * Upper edges (inclusive, microseconds) of the RTT histogram kept per aggregate bucket. A sixth,
 * open bin holds everything above the last edge. Changing these changes the meaning of stored
 * counters: it needs a new ring format (see bucket-math.ts), not an edit in place.
 */
export const RTT_BIN_EDGES_US = [1_000, 5_000, 20_000, 100_000, 500_000] as const;

/** Number of RTT bins per bucket: one per edge, plus the open-ended last one. */
export const RTT_BIN_COUNT = RTT_BIN_EDGES_US.length + 1;

/**
 * Index (0..5) of the RTT bin for a successful attempt's round-trip time: the first bin whose
 * edge is `>= rttUs`, else the last bin. Throws `RangeError` for a negative or non-finite RTT.
 */
export function rttBin(rttUs: number): number {
  if (!Number.isFinite(rttUs) || rttUs < 0) throw new RangeError(`rttUs must be a finite number >= 0, got ${rttUs}`);
  const index = RTT_BIN_EDGES_US.findIndex((edgeUs) => rttUs <= edgeUs);
  return index === -1 ? RTT_BIN_EDGES_US.length : index;
}
