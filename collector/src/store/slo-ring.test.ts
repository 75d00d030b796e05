import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from './bucket-math.ts';
import { SLO_RINGS, type SloRing, sliBuckets } from './slo-ring.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 30, 0);

function ring(spec: SloRing['spec'], units: Record<number, [number, number, number]>): SloRing {
  const counts = new Uint32Array(spec.size * 3);
  let head = 0;
  for (const [unit, c] of Object.entries(units)) {
    counts.set(c, (Number(unit) % spec.size) * 3);
    head = Math.max(head, Number(unit));
  }
  return { spec, headUnit: head, counts };
}

describe('sliBuckets', () => {
  it('takes hours before the minute reach and minutes after it, never both for one span', () => {
    const nowMinute = NOW / MINUTE_MS;
    const nowHour = Math.floor(NOW / HOUR_MS);
    // The hour 4h ago is only in the hour ring; the last minute in both (the minute one wins).
    const minute = ring(SLO_RINGS.minute, { [nowMinute]: [5, 4, 1] });
    const hour = ring(SLO_RINGS.hour, { [nowHour - 4]: [10, 9, 0], [nowHour]: [5, 4, 1] });
    const buckets = sliBuckets(minute, hour, NOW);
    expect(buckets[0]).toEqual({
      startMs: (nowHour - 4) * HOUR_MS,
      total: 10,
      good: 9,
      excluded: 0,
      durationMs: HOUR_MS,
    });
    const sum = buckets.reduce((n, b) => ({ total: n.total + b.total, excluded: n.excluded + b.excluded }), {
      total: 0,
      excluded: 0,
    });
    expect(sum).toEqual({ total: 15, excluded: 1 });
    expect(buckets.at(-1)).toEqual({ startMs: NOW, total: 5, good: 4, excluded: 1, durationMs: MINUTE_MS });
  });

  it('keeps the part of the hour the minute ring no longer reaches, less the minutes it still has', () => {
    // NOW 12:30: the minute ring reaches back to 09:31. The 09:00 hour held 10 (8 good); 4 of them
    // (3 good) at 09:40 are still in the minute ring.
    const nineAm = Math.floor(NOW / HOUR_MS) - 3;
    const minute = ring(SLO_RINGS.minute, { [nineAm * 60 + 40]: [4, 3, 0], [NOW / MINUTE_MS]: [1, 1, 0] });
    const hour = ring(SLO_RINGS.hour, { [nineAm]: [10, 8, 0], [nineAm + 3]: [1, 1, 0] });
    const buckets = sliBuckets(minute, hour, NOW);
    expect(buckets[0]).toEqual({
      startMs: nineAm * HOUR_MS,
      durationMs: 31 * MINUTE_MS,
      total: 6,
      good: 5,
      excluded: 0,
    });
    expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(11);
  });

  it('starts at the oldest bucket with a count, and is empty for rings never written', () => {
    const empty = { spec: SLO_RINGS.minute, headUnit: 0, counts: new Uint32Array(0) };
    expect(sliBuckets(empty, { ...empty, spec: SLO_RINGS.hour }, NOW)).toEqual([]);
    const minute = ring(SLO_RINGS.minute, { [NOW / MINUTE_MS - 2]: [1, 1, 0] });
    const buckets = sliBuckets(minute, { ...empty, spec: SLO_RINGS.hour }, NOW);
    expect(buckets.map((b) => b.startMs)).toEqual([NOW - 2 * MINUTE_MS]);
  });
});
