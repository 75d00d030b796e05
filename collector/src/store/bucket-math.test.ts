import { describe, expect, it } from 'vitest';
import {
  BUCKET_BYTES,
  type Bucket,
  bucketAt,
  decodeRing,
  emptyRing,
  encodeRing,
  epochHour,
  epochMinute,
  HOUR_MS,
  HOUR_RING,
  MINUTE_MS,
  MINUTE_RING,
  RING_HEADER_BYTES,
  type Ring,
  reachStartMs,
  ringByteLength,
  ringIndex,
  sumWindow,
} from './bucket-math.ts';

// 2025-03-01T10:25:30Z: mid-minute and mid-hour, so every edge rule shows.
const NOW_MS = Date.UTC(2025, 2, 1, 10, 25, 30);
const NOW_MINUTE = epochMinute(NOW_MS);
const NOW_HOUR = epochHour(NOW_MS);

function bucket(attempts: number, successes = 0, rttBins = [0, 0, 0, 0, 0, 0]): Bucket {
  return { attempts, successes, rttBins };
}

/** Sets a unit's bucket and moves the head forward, as the ingest script would. */
function put(ring: Ring, unit: number, value: Bucket): Ring {
  ring.buckets[ringIndex(unit, ring.spec)] = value;
  ring.headUnit = Math.max(ring.headUnit, unit);
  return ring;
}

describe('epoch units and ring slots', () => {
  it('counts whole minutes and hours since 1970', () => {
    expect(epochMinute(NOW_MS)).toBe(Math.floor(NOW_MS / 60_000));
    expect(epochMinute(Date.UTC(2025, 2, 1, 10, 25, 0))).toBe(NOW_MINUTE);
    expect(epochMinute(Date.UTC(2025, 2, 1, 10, 24, 59, 999))).toBe(NOW_MINUTE - 1);
    expect(epochHour(NOW_MS)).toBe(Math.floor(NOW_MS / 3_600_000));
    expect(epochHour(Date.UTC(2025, 2, 1, 10))).toBe(NOW_HOUR);
  });

  it('takes the unit modulo the ring size', () => {
    expect(ringIndex(0, MINUTE_RING)).toBe(0);
    expect(ringIndex(181, MINUTE_RING)).toBe(1);
    expect(ringIndex(NOW_HOUR, HOUR_RING)).toBe(NOW_HOUR % 744);
    expect(ringIndex(-1, MINUTE_RING)).toBe(179);
  });

  it('sizes rings at 4 header bytes plus 16 per bucket', () => {
    expect(BUCKET_BYTES).toBe(16);
    expect(ringByteLength(MINUTE_RING)).toBe(2_884);
    expect(ringByteLength(HOUR_RING)).toBe(11_908);
  });
});

describe('encodeRing / decodeRing', () => {
  it('writes big-endian counters at header + slot * 16 (golden bytes)', () => {
    const ring = put(emptyRing(MINUTE_RING), 0x0102_0304 + 1, bucket(0x1234, 3, [1, 0, 0, 0, 0, 0xffff]));
    const bytes = encodeRing(ring);
    expect(bytes.length).toBe(2_884);
    expect([...bytes.subarray(0, 4)]).toEqual([0x01, 0x02, 0x03, 0x05]);
    const at = RING_HEADER_BYTES + ringIndex(ring.headUnit, MINUTE_RING) * BUCKET_BYTES;
    expect(bytes.subarray(at, at + 16).toString('hex')).toBe('1234000300010000000000000000ffff');
    expect(bytes.subarray(RING_HEADER_BYTES, at).every((byte) => byte === 0)).toBe(true);
  });

  it('decodes what it encodes', () => {
    const ring = emptyRing(HOUR_RING);
    put(ring, NOW_HOUR - 2, bucket(10, 9, [1, 2, 3, 1, 1, 1]));
    put(ring, NOW_HOUR, bucket(65_535, 65_535, [65_535, 0, 0, 0, 0, 0]));
    expect(decodeRing(encodeRing(ring), HOUR_RING)).toEqual(ring);
  });

  it('reads a missing or empty key as an empty ring', () => {
    expect(decodeRing(null, MINUTE_RING)).toEqual(emptyRing(MINUTE_RING));
    expect(decodeRing(Buffer.alloc(0), MINUTE_RING)).toEqual(emptyRing(MINUTE_RING));
  });

  it('refuses another length, and counters or heads out of range', () => {
    expect(() => decodeRing(Buffer.alloc(100), MINUTE_RING)).toThrow(RangeError);
    expect(() => decodeRing(Buffer.alloc(ringByteLength(MINUTE_RING)), HOUR_RING)).toThrow(RangeError);
    expect(() => encodeRing(put(emptyRing(MINUTE_RING), 5, bucket(65_536)))).toThrow(RangeError);
    expect(() => encodeRing(put(emptyRing(MINUTE_RING), 5, bucket(1, 1, [1])))).toThrow(RangeError);
    expect(() => encodeRing({ ...emptyRing(MINUTE_RING), headUnit: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeRing({ ...emptyRing(MINUTE_RING), buckets: [] })).toThrow(RangeError);
  });
});

describe('bucketAt', () => {
  it('returns buckets from head - size + 1 to head only', () => {
    const ring = put(emptyRing(MINUTE_RING), NOW_MINUTE, bucket(7));
    put(ring, NOW_MINUTE - 179, bucket(5));
    expect(bucketAt(ring, NOW_MINUTE)?.attempts).toBe(7);
    expect(bucketAt(ring, NOW_MINUTE - 179)?.attempts).toBe(5);
    // Same slot as NOW_MINUTE, one lap earlier: no longer in reach.
    expect(bucketAt(ring, NOW_MINUTE - 180)).toBeUndefined();
    expect(bucketAt(ring, NOW_MINUTE + 1)).toBeUndefined();
    expect(bucketAt(emptyRing(MINUTE_RING), 0)).toBeUndefined();
  });
});

describe('reachStartMs', () => {
  it('reaches size units back from now, or from the head when it is past now', () => {
    expect(reachStartMs(emptyRing(MINUTE_RING), NOW_MS)).toBe((NOW_MINUTE - 179) * MINUTE_MS);
    const ahead = put(emptyRing(MINUTE_RING), NOW_MINUTE + 1, bucket(1));
    expect(reachStartMs(ahead, NOW_MS)).toBe((NOW_MINUTE - 178) * MINUTE_MS);
    expect(reachStartMs(emptyRing(HOUR_RING), NOW_MS)).toBe((NOW_HOUR - 743) * HOUR_MS);
  });
});

describe('sumWindow', () => {
  it('sums minute buckets only when the window starts inside the minute reach', () => {
    const minutes = emptyRing(MINUTE_RING);
    for (let back = 0; back < 10; back++) put(minutes, NOW_MINUTE - back, bucket(1, 1, [0, 1, 0, 0, 0, 0]));
    // The hour ring holds the same attempts again; it must not be read here.
    const hours = put(emptyRing(HOUR_RING), NOW_HOUR, bucket(10, 10, [0, 10, 0, 0, 0, 0]));
    const sum = sumWindow(minutes, hours, NOW_MS - 5 * MINUTE_MS, NOW_MS, NOW_MS);
    // 10:20:30 .. 10:25:30 overlaps six minutes, 10:20 to 10:25, each counted whole.
    expect(sum).toEqual({
      attempts: 6,
      successes: 6,
      rttBins: [0, 6, 0, 0, 0, 0],
      coveredFromMs: Date.UTC(2025, 2, 1, 10, 20),
      coveredToMs: Date.UTC(2025, 2, 1, 10, 26),
    });
  });

  it('uses hour buckets before the first whole hour inside the minute reach, minutes after it', () => {
    // Minute reach at 10:25:30 starts at 07:26; the split is at 08:00.
    const minutes = emptyRing(MINUTE_RING);
    put(minutes, epochMinute(Date.UTC(2025, 2, 1, 7, 30)), bucket(1000)); // before the split: ignored
    put(minutes, epochMinute(Date.UTC(2025, 2, 1, 8, 0)), bucket(1, 1, [1, 0, 0, 0, 0, 0]));
    put(minutes, NOW_MINUTE, bucket(2, 1, [0, 0, 0, 0, 0, 1]));
    const hours = emptyRing(HOUR_RING);
    put(hours, NOW_HOUR - 720, bucket(100, 50, [50, 0, 0, 0, 0, 0])); // 30 days ago, 10:00
    put(hours, epochHour(Date.UTC(2025, 2, 1, 7)), bucket(20, 20, [0, 0, 20, 0, 0, 0]));
    put(hours, epochHour(Date.UTC(2025, 2, 1, 8)), bucket(3000)); // covered by minutes: ignored
    put(hours, NOW_HOUR, bucket(4000)); // covered by minutes: ignored
    const sum = sumWindow(minutes, hours, NOW_MS - 30 * 24 * HOUR_MS, NOW_MS, NOW_MS);
    expect(sum).toEqual({
      attempts: 123,
      successes: 72,
      rttBins: [51, 0, 20, 0, 0, 1],
      // The partial oldest hour is counted whole: from 10:00, 30 days back.
      coveredFromMs: Date.UTC(2025, 0, 30, 10),
      coveredToMs: Date.UTC(2025, 2, 1, 10, 26),
    });
  });

  it('clips a window older than the hour ring to its reach', () => {
    const hours = emptyRing(HOUR_RING);
    put(hours, NOW_HOUR - 743, bucket(5));
    const sum = sumWindow(emptyRing(MINUTE_RING), hours, NOW_MS - 60 * 24 * HOUR_MS, NOW_MS, NOW_MS);
    expect(sum.attempts).toBe(5);
    expect(sum.coveredFromMs).toBe((NOW_HOUR - 743) * HOUR_MS);
  });

  it('reads units after the head as zero, and stale laps not at all', () => {
    // Last write two hours ago: the slots for the last two hours still hold counts from a lap ago.
    const minutes = emptyRing(MINUTE_RING);
    const head = NOW_MINUTE - 120;
    put(minutes, head, bucket(1));
    minutes.buckets[ringIndex(NOW_MINUTE, MINUTE_RING)] = bucket(999);
    expect(sumWindow(minutes, emptyRing(HOUR_RING), NOW_MS - 150 * MINUTE_MS, NOW_MS, NOW_MS).attempts).toBe(1);
  });

  it('sums nothing for an empty window', () => {
    const ring = put(emptyRing(MINUTE_RING), NOW_MINUTE, bucket(1));
    expect(sumWindow(ring, emptyRing(HOUR_RING), NOW_MS, NOW_MS, NOW_MS)).toEqual({
      attempts: 0,
      successes: 0,
      rttBins: [0, 0, 0, 0, 0, 0],
      coveredFromMs: NOW_MS,
      coveredToMs: NOW_MS,
    });
  });

  it('refuses rings whose units do not nest', () => {
    expect(() => sumWindow(emptyRing(MINUTE_RING), emptyRing({ unitMs: 90_000, size: 10 }), 0, NOW_MS, NOW_MS)).toThrow(
      TypeError,
    );
  });
});
