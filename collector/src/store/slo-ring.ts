import type { SliBucket } from '../slo/slo-math.ts';
import { epochUnit, HOUR_RING, MINUTE_RING, RING_HEADER_BYTES, type RingSpec } from './bucket-math.ts';

/**
 * Counters per SLO bucket: attempts counted, good ones (completed within the threshold), and
 * attempts excluded (their runner was failing its self-check; not counted). The rings share the
 * header and slot layout of the aggregate rings (bucket-math.ts), with these three counters as
 * u32: a (target, region) with many addresses and kinds makes more than 65,535 attempts an hour.
 */
export const SLO_BUCKET_COUNTERS = 3;
/** Bits per SLO counter (BITFIELD u32, saturating). */
export const SLO_COUNTER_BITS = 32;
const BUCKET_BYTES = SLO_BUCKET_COUNTERS * 4;

/**
 * A decoded SLO ring: its newest unit, and the counters of each slot, three by three
 * (`counts[slot * 3 + 0..2]` = counted, good, excluded); empty for a ring never written.
 */
export type SloRing = { spec: RingSpec; headUnit: number; counts: Uint32Array };

/** Bytes in the Redis string of an SLO ring. */
export function sloRingByteLength(spec: RingSpec): number {
  return RING_HEADER_BYTES + spec.size * BUCKET_BYTES;
}

/**
 * Decodes an SLO ring as the ingest script writes it. A missing key or an empty string is an
 * empty ring; any other wrong length throws `RangeError` (another format, never a truncation).
 */
export function decodeSloRing(bytes: Buffer | null, spec: RingSpec): SloRing {
  if (bytes === null || bytes.length === 0) return { spec, headUnit: 0, counts: new Uint32Array(0) };
  const expected = sloRingByteLength(spec);
  if (bytes.length !== expected)
    throw new RangeError(`SLO ring string is ${bytes.length} bytes, expected ${expected} for ${spec.size} buckets`);
  // One typed array per ring, not an array per bucket: 30,000 series are read at once.
  const counts = new Uint32Array(spec.size * SLO_BUCKET_COUNTERS);
  for (let i = 0; i < counts.length; i++) counts[i] = bytes.readUInt32BE(RING_HEADER_BYTES + i * 4);
  return { spec, headUnit: bytes.readUInt32BE(0), counts };
}

/**
 * The SLI buckets of one (target, region), oldest first, for `slo-math.ts`, at the finest grain
 * stored: minute buckets over the minute ring's reach (3 hours), hour buckets before it, and for
 * the hour the reach begins in, a partial bucket holding that hour's counts less the minutes of it
 * already listed, so nothing is counted twice or left out. The list starts at the oldest bucket
 * with any count, so that a window longer than the history shows as partly covered. Pure.
 */
export function sliBuckets(minute: SloRing, hour: SloRing, nowMs: number): SliBucket[] {
  const reachMs = reachStartMs(minute, nowMs);
  const hourMs = HOUR_RING.unitMs;
  const splitHourMs = Math.floor(reachMs / hourMs) * hourMs;
  const minutes = unitsOf(minute, reachMs, Number.POSITIVE_INFINITY);
  const out = unitsOf(hour, reachStartMs(hour, nowMs), splitHourMs);
  if (reachMs > splitHourMs) {
    const whole = unitsOf(hour, splitHourMs, splitHourMs + hourMs)[0];
    if (whole) {
      const listed = minutes.filter((b) => b.startMs < splitHourMs + hourMs);
      const less = (key: 'good' | 'total' | 'excluded') =>
        Math.max(0, whole[key] - listed.reduce((n, b) => n + b[key], 0));
      out.push({
        startMs: splitHourMs,
        durationMs: reachMs - splitHourMs,
        good: Math.min(less('good'), less('total')),
        total: less('total'),
        excluded: less('excluded'),
      });
    }
  }
  out.push(...minutes);
  const first = out.findIndex((b) => b.total + b.excluded > 0);
  return first === -1 ? [] : out.slice(first);
}

function reachStartMs(ring: SloRing, nowMs: number): number {
  const newest = Math.max(epochUnit(nowMs, ring.spec), ring.headUnit);
  return (newest - ring.spec.size + 1) * ring.spec.unitMs;
}

function unitsOf(ring: SloRing, fromMs: number, toMs: number): SliBucket[] {
  if (ring.headUnit === 0) return [];
  const { unitMs, size } = ring.spec;
  const out: SliBucket[] = [];
  const first = Math.max(Math.ceil(fromMs / unitMs), ring.headUnit - size + 1);
  const last = Math.min(ring.headUnit, Math.ceil(toMs / unitMs) - 1);
  for (let unit = first; unit <= last; unit++) {
    const at = (((unit % size) + size) % size) * SLO_BUCKET_COUNTERS;
    const { counts } = ring;
    out.push({
      startMs: unit * unitMs,
      total: counts[at] ?? 0,
      good: counts[at + 1] ?? 0,
      excluded: counts[at + 2] ?? 0,
      durationMs: unitMs,
    });
  }
  return out;
}

/** The two ring shapes SLO rings use: the aggregate rings' (3 hours of minutes, 31 days of hours). */
export const SLO_RINGS = { minute: MINUTE_RING, hour: HOUR_RING } as const;
