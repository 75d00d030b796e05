import type { Cluster, Redis } from 'ioredis';
import {
  bucketAt,
  decodeRing,
  epochUnit,
  HOUR_MS,
  HOUR_RING,
  MINUTE_RING,
  type Ring,
  type RingSpec,
} from './bucket-math.ts';
import { type Series, type SeriesKind, storeKeys } from './ingest-script.ts';
import { RTT_BIN_EDGES_US } from './rtt-bins.ts';

/** Windows up to this long are read from the minute ring (3 hours, its whole reach); longer ones from the hour ring. */
export const MINUTE_RESOLUTION_MAX_MS = MINUTE_RING.size * MINUTE_RING.unitMs;
/** The longest window `readSeries` accepts: the hour ring's reach (31 days). */
export const SERIES_MAX_WINDOW_MS = HOUR_RING.size * HOUR_MS;

/**
 * One series over a window, column-wise (uPlot's data layout): entry `i` of each column belongs to
 * `TargetSeries.bucketStartMs[i]`. A bucket without attempts has a `null` ratio and percentiles.
 */
export type SeriesColumns = {
  region: string;
  kind: SeriesKind;
  attempts: number[];
  /** Successes / attempts, 0..1. */
  successRatio: (number | null)[];
  /** RTT percentiles of the successes, in µs, estimated from the bucket's histogram (`percentileFromBins`). */
  rttP50Us: (number | null)[];
  rttP90Us: (number | null)[];
  rttP99Us: (number | null)[];
};

/** `GET /v1/series`: every series (region, kind) of one target over a window. */
export type TargetSeries = {
  target: string;
  windowMs: number;
  /** Width of one bucket: 60,000 for windows up to 3 h, 3,600,000 beyond. */
  stepMs: number;
  /** Start (epoch ms) of each bucket, oldest first. The last one holds `computedAtMs` and is still filling. */
  bucketStartMs: number[];
  /** Sorted by region, then kind. Empty when the target has never been probed. */
  series: SeriesColumns[];
  computedAtMs: number;
};

/** The ring a window is read from: minutes up to 3 hours, hours beyond. */
export function ringForWindow(windowMs: number): RingSpec {
  return windowMs <= MINUTE_RESOLUTION_MAX_MS ? MINUTE_RING : HOUR_RING;
}

/**
 * Estimates the `q` quantile (0 < q <= 1) of the RTTs counted in histogram `bins` (one count per
 * bin of `RTT_BIN_EDGES_US`, plus the open last bin), in µs; `null` when every bin is empty.
 *
 * As Prometheus' `histogram_quantile()` does: find the bin holding rank `q * total`, then
 * interpolate linearly inside it, the first bin starting at 0. A rank in the open last bin has no
 * upper edge to interpolate to, so the estimate is the last edge (500 ms): a floor, the true value
 * is at least that. Pure.
 */
export function percentileFromBins(bins: readonly number[], q: number): number | null {
  if (!(q > 0 && q <= 1)) throw new RangeError(`q must be in (0, 1], got ${q}`);
  if (bins.length !== RTT_BIN_EDGES_US.length + 1) {
    throw new RangeError(`expected ${RTT_BIN_EDGES_US.length + 1} bins, got ${bins.length}`);
  }
  const total = bins.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let bin = 0; bin < RTT_BIN_EDGES_US.length; bin++) {
    const count = bins[bin] ?? 0;
    if (count > 0 && below + count >= rank) {
      const lowerUs = bin === 0 ? 0 : (RTT_BIN_EDGES_US[bin - 1] ?? 0);
      const upperUs = RTT_BIN_EDGES_US[bin] ?? lowerUs;
      return lowerUs + ((upperUs - lowerUs) * (rank - below)) / count;
    }
    below += count;
  }
  return RTT_BIN_EDGES_US[RTT_BIN_EDGES_US.length - 1] ?? null;
}

/**
 * Start (epoch ms) of every bucket of `spec` that overlaps `[nowMs - windowMs, nowMs]`, oldest
 * first, at most `spec.size` of them (older ones are out of the ring's reach). Pure.
 */
export function bucketStarts(spec: RingSpec, windowMs: number, nowMs: number): number[] {
  const lastUnit = epochUnit(nowMs, spec);
  const count = Math.min(spec.size, lastUnit - epochUnit(nowMs - windowMs, spec) + 1);
  return Array.from({ length: count }, (_, i) => (lastUnit - count + 1 + i) * spec.unitMs);
}

/** A decoded ring's columns for the given buckets (from `bucketStarts`). Pure. */
export function ringColumns(series: Series, ring: Ring, startsMs: readonly number[]): SeriesColumns {
  const columns: SeriesColumns = {
    region: series.region,
    kind: series.kind,
    attempts: [],
    successRatio: [],
    rttP50Us: [],
    rttP90Us: [],
    rttP99Us: [],
  };
  for (const startMs of startsMs) {
    const bucket = bucketAt(ring, epochUnit(startMs, ring.spec));
    const attempts = bucket?.attempts ?? 0;
    columns.attempts.push(attempts);
    columns.successRatio.push(bucket && attempts > 0 ? Math.min(1, bucket.successes / attempts) : null);
    columns.rttP50Us.push(bucket ? percentileFromBins(bucket.rttBins, 0.5) : null);
    columns.rttP90Us.push(bucket ? percentileFromBins(bucket.rttBins, 0.9) : null);
    columns.rttP99Us.push(bucket ? percentileFromBins(bucket.rttBins, 0.99) : null);
  }
  return columns;
}

const NAME = /^[a-z0-9-]+$/;

/**
 * Every series of `target` over the `windowMs` up to `nowMs`, bucket by bucket: one-minute buckets
 * for windows up to 3 hours, one-hour buckets beyond (up to 31 days). Reads the series set (SSCAN,
 * so a large set never blocks Redis) and one ring per series. Throws `TypeError` for a target name
 * outside `[a-z0-9-]+` and `RangeError` for a window outside 1 minute .. 31 days.
 */
export async function readSeries(
  redis: Redis | Cluster,
  prefix: string,
  target: string,
  windowMs: number,
  nowMs: number,
): Promise<TargetSeries> {
  if (!NAME.test(target)) throw new TypeError(`target must match ${NAME}, got ${JSON.stringify(target)}`);
  if (!Number.isSafeInteger(windowMs) || windowMs < MINUTE_RING.unitMs || windowMs > SERIES_MAX_WINDOW_MS) {
    throw new RangeError(
      `windowMs must be an integer in ${MINUTE_RING.unitMs}..${SERIES_MAX_WINDOW_MS}, got ${windowMs}`,
    );
  }
  const spec = ringForWindow(windowMs);
  const startsMs = bucketStarts(spec, windowMs, nowMs);
  const targetSeries = await seriesOf(redis, prefix, target);
  const series = await Promise.all(
    targetSeries.map(async (s) => {
      const key = spec === MINUTE_RING ? storeKeys.minuteRing(prefix, s) : storeKeys.hourRing(prefix, s);
      return ringColumns(s, decodeRing(await redis.getBuffer(key), spec), startsMs);
    }),
  );
  return { target, windowMs, stepMs: spec.unitMs, bucketStartMs: startsMs, series, computedAtMs: nowMs };
}

// Members are `target:region:kind` and names never contain `:` or glob characters, so MATCH
// `target:*` finds exactly this target's series (Redis still walks the whole set, in steps).
async function seriesOf(redis: Redis | Cluster, prefix: string, target: string): Promise<Series[]> {
  const found: Series[] = [];
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.sscan(storeKeys.series(prefix), cursor, 'MATCH', `${target}:*`, 'COUNT', 1000);
    for (const member of batch) {
      if (seen.has(member)) continue;
      seen.add(member);
      const [name, region, kind] = member.split(':');
      if (name === target && region && (kind === 'syn' || kind === 'connect')) found.push({ target, region, kind });
    }
    cursor = next;
  } while (cursor !== '0');
  return found.sort((a, b) => (a.region === b.region ? (a.kind < b.kind ? -1 : 1) : a.region < b.region ? -1 : 1));
}
