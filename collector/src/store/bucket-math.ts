import { RTT_BIN_COUNT } from './rtt-bins.ts';

/** Length of a minute, and of an hour, in milliseconds. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** Shape of one aggregate ring: the time one bucket covers, and how many buckets it keeps. */
export type RingSpec = { readonly unitMs: number; readonly size: number };

/** 180 one-minute buckets: the last 3 hours, for short SLO windows and current burn rates. */
export const MINUTE_RING: RingSpec = Object.freeze({ unitMs: MINUTE_MS, size: 180 });

/** 744 one-hour buckets: 31 days, so a 30-day window fits with its partial first hour. */
export const HOUR_RING: RingSpec = Object.freeze({ unitMs: HOUR_MS, size: 744 });

/**
 * Ring string layout, shared with the Lua ingest script (ingest-script.ts). All integers are
 * big-endian, as BITFIELD reads and writes them:
 * - bytes 0..3: u32, epoch unit (minute or hour since 1970) of the newest bucket written; 0 means
 *   "never written".
 * - then `size` buckets of 16 bytes at `RING_HEADER_BYTES + ringIndex * BUCKET_BYTES`, each eight
 *   u16 counters: attempts, successes, then the RTT bins of the successes (rtt-bins.ts).
 */
export const RING_HEADER_BYTES = 4;
/** u16 counters per bucket: attempts, successes, and one per RTT bin. */
export const BUCKET_COUNTERS = 2 + RTT_BIN_COUNT;
export const BUCKET_BYTES = BUCKET_COUNTERS * 2;
/** Counters saturate here (BITFIELD OVERFLOW SAT on u16) instead of wrapping to 0. */
export const COUNTER_MAX = 0xffff;

/** Counts of one bucket, or of a sum of buckets. `rttBins` has `RTT_BIN_COUNT` entries. */
export type Bucket = { attempts: number; successes: number; rttBins: number[] };

/** A decoded ring. `buckets[ringIndex(unit)]` holds the unit's counts while it is in reach. */
export type Ring = { spec: RingSpec; headUnit: number; buckets: Bucket[] };

/** A window's counts, and the span the summed buckets actually cover (bucket-aligned). */
export type WindowSum = Bucket & { coveredFromMs: number; coveredToMs: number };

/** Epoch unit (whole `spec.unitMs` periods since 1970) containing the time `ms`. */
export function epochUnit(ms: number, spec: RingSpec): number {
  return Math.floor(ms / spec.unitMs);
}

/** Whole minutes since 1970 at `ms`. */
export function epochMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/** Whole hours since 1970 at `ms`. */
export function epochHour(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

/** Slot of an epoch unit in its ring: `unit mod size` (the Lua script computes the same). */
export function ringIndex(unit: number, spec: RingSpec): number {
  return ((unit % spec.size) + spec.size) % spec.size;
}

/** Bytes in the Redis string of a ring: header and every bucket. */
export function ringByteLength(spec: RingSpec): number {
  return RING_HEADER_BYTES + spec.size * BUCKET_BYTES;
}

/** A bucket with every counter at zero. */
export function emptyBucket(): Bucket {
  return { attempts: 0, successes: 0, rttBins: new Array<number>(RTT_BIN_COUNT).fill(0) };
}

/** A ring that was never written (`headUnit` 0, every bucket zero). */
export function emptyRing(spec: RingSpec): Ring {
  return { spec, headUnit: 0, buckets: Array.from({ length: spec.size }, emptyBucket) };
}

/**
 * Decodes a ring string as stored in Redis. A missing key (`null`) or an empty string is an empty
 * ring. Throws `RangeError` for any other length: that is a different format, never a truncation,
 * since the Lua script always writes the whole ring.
 */
export function decodeRing(bytes: Buffer | null, spec: RingSpec): Ring {
  if (bytes === null || bytes.length === 0) return emptyRing(spec);
  const expected = ringByteLength(spec);
  if (bytes.length !== expected) {
    throw new RangeError(`ring string is ${bytes.length} bytes, expected ${expected} for ${spec.size} buckets`);
  }
  const buckets = Array.from({ length: spec.size }, (_, index): Bucket => {
    const at = RING_HEADER_BYTES + index * BUCKET_BYTES;
    const rttBins = Array.from({ length: RTT_BIN_COUNT }, (_, bin) => bytes.readUInt16BE(at + 4 + bin * 2));
    return { attempts: bytes.readUInt16BE(at), successes: bytes.readUInt16BE(at + 2), rttBins };
  });
  return { spec, headUnit: bytes.readUInt32BE(0), buckets };
}

/**
 * Encodes a ring into the exact bytes the Lua script reads and writes. Throws `RangeError` for a
 * counter outside 0..65535, a head outside u32, or a bucket list of the wrong length.
 */
export function encodeRing(ring: Ring): Buffer {
  const { spec, headUnit, buckets } = ring;
  if (buckets.length !== spec.size) throw new RangeError(`ring has ${buckets.length} buckets, expected ${spec.size}`);
  if (!Number.isInteger(headUnit) || headUnit < 0 || headUnit > 0xffff_ffff) {
    throw new RangeError(`headUnit must be a u32, got ${headUnit}`);
  }
  const bytes = Buffer.alloc(ringByteLength(spec));
  bytes.writeUInt32BE(headUnit, 0);
  buckets.forEach((bucket, index) => {
    const at = RING_HEADER_BYTES + index * BUCKET_BYTES;
    if (bucket.rttBins.length !== RTT_BIN_COUNT) {
      throw new RangeError(`bucket ${index} has ${bucket.rttBins.length} RTT bins, expected ${RTT_BIN_COUNT}`);
    }
    [bucket.attempts, bucket.successes, ...bucket.rttBins].forEach((count, counter) => {
      if (!Number.isInteger(count) || count < 0 || count > COUNTER_MAX) {
        throw new RangeError(`bucket ${index} counter ${counter} must be 0..${COUNTER_MAX}, got ${count}`);
      }
      bytes.writeUInt16BE(count, at + counter * 2);
    });
  });
  return bytes;
}

/**
 * Counts for one epoch unit, or `undefined` when the ring does not hold that unit: older than its
 * reach (`headUnit - size` or before), newer than its head (nothing written there yet), or a ring
 * never written.
 */
export function bucketAt(ring: Ring, unit: number): Bucket | undefined {
  const { headUnit, spec } = ring;
  if (headUnit === 0 || unit > headUnit || unit <= headUnit - spec.size) return undefined;
  return ring.buckets[ringIndex(unit, spec)];
}

/**
 * Sums attempts, successes and RTT bins over the window `[fromMs, toMs)`, reading the minute ring
 * where it reaches and the hour ring for the older part.
 *
 * A ring reaches back `size` units from the later of `nowMs` and its own head. When `fromMs` is
 * inside the minute ring's reach, only minute buckets are read. Otherwise the split is moved up
 * to the first whole hour inside the minute reach: hour buckets before it, minute buckets from it
 * on, so no attempt is counted twice and none is missed.
 *
 * Edge approximation: a bucket is counted whole when the window overlaps any part of it. The
 * oldest hour of a window that starts outside the minute reach (e.g. 30 days at 10:25 counts all
 * of the hour from 10:00) and the first and last minute of any window may be partial. The
 * returned `coveredFromMs`/`coveredToMs` say which span was summed; units older than the hour
 * ring's reach are left out of it, and units after a ring's head count as zero (no attempts
 * ingested there). An empty window sums to zero with both equal to `toMs`.
 */
export function sumWindow(minuteRing: Ring, hourRing: Ring, fromMs: number, toMs: number, nowMs: number): WindowSum {
  const hourMs = hourRing.spec.unitMs;
  if (hourMs % minuteRing.spec.unitMs !== 0) {
    throw new TypeError('the hour ring unit must be a whole number of minute ring units');
  }
  const sum: WindowSum = { ...emptyBucket(), coveredFromMs: toMs, coveredToMs: toMs };
  if (!(toMs > fromMs)) return sum;
  const minuteReachMs = reachStartMs(minuteRing, nowMs);
  if (fromMs >= minuteReachMs) {
    addUnits(sum, minuteRing, fromMs, toMs);
    return sum;
  }
  const splitMs = Math.ceil(minuteReachMs / hourMs) * hourMs;
  addUnits(sum, hourRing, Math.max(fromMs, reachStartMs(hourRing, nowMs)), Math.min(toMs, splitMs));
  addUnits(sum, minuteRing, Math.max(fromMs, splitMs), toMs);
  return sum;
}

/**
 * Start (ms) of the oldest unit a ring can still hold: `size` units back from the later of
 * `nowMs` and its head (attempts up to a minute in the future can put the head past now).
 */
export function reachStartMs(ring: Ring, nowMs: number): number {
  const newestUnit = Math.max(epochUnit(nowMs, ring.spec), ring.headUnit);
  return (newestUnit - ring.spec.size + 1) * ring.spec.unitMs;
}

function addUnits(sum: WindowSum, ring: Ring, fromMs: number, toMs: number): void {
  if (!(toMs > fromMs)) return;
  const { unitMs } = ring.spec;
  const firstUnit = epochUnit(fromMs, ring.spec);
  const lastUnit = Math.ceil(toMs / unitMs) - 1;
  for (let unit = firstUnit; unit <= lastUnit; unit++) {
    const bucket = bucketAt(ring, unit);
    if (!bucket) continue;
    sum.attempts += bucket.attempts;
    sum.successes += bucket.successes;
    bucket.rttBins.forEach((count, bin) => {
      sum.rttBins[bin] = (sum.rttBins[bin] ?? 0) + count;
    });
  }
  const wasEmpty = sum.coveredFromMs === sum.coveredToMs;
  sum.coveredFromMs = wasEmpty ? firstUnit * unitMs : Math.min(sum.coveredFromMs, firstUnit * unitMs);
  sum.coveredToMs = wasEmpty ? (lastUnit + 1) * unitMs : Math.max(sum.coveredToMs, (lastUnit + 1) * unitMs);
}
