import type { Cluster, Redis } from 'ioredis';
import {
  decodeRing,
  emptyRing,
  epochMinute,
  HOUR_RING,
  MINUTE_MS,
  MINUTE_RING,
  reachStartMs,
  sumWindow,
  type WindowSum,
} from './bucket-math.ts';
import { type Series, type SeriesKind, storeKeys } from './ingest-script.ts';

/** The newest attempt of a (target, region), by its own start time. */
export type LatestState = { outcome: string; atMs: number; kind: SeriesKind };

/**
 * Sums a series over `[fromMs, toMs)` (see `sumWindow` for which buckets count). The hour ring is
 * fetched only when the window may start before the minute ring's reach.
 */
export async function readWindow(
  redis: Redis | Cluster,
  prefix: string,
  series: Series,
  fromMs: number,
  toMs: number,
  nowMs: number,
): Promise<WindowSum> {
  // Most windows (5 minutes to 3 hours) need only the minute ring: skip the 12 KB hour ring
  // unless the window may start before the minute ring's reach. The reach is only known once the
  // ring's head is read, so a head far past `nowMs` costs a second round trip.
  const hourKey = storeKeys.hourRing(prefix, series);
  const skipHour = fromMs >= (epochMinute(nowMs) - MINUTE_RING.size + 1) * MINUTE_MS;
  const [minute, hour] = await Promise.all([
    redis.getBuffer(storeKeys.minuteRing(prefix, series)),
    skipHour ? null : redis.getBuffer(hourKey),
  ]);
  const minuteRing = decodeRing(minute, MINUTE_RING);
  const hourBytes = skipHour && fromMs < reachStartMs(minuteRing, nowMs) ? await redis.getBuffer(hourKey) : hour;
  const hourRing = hourBytes === null ? emptyRing(HOUR_RING) : decodeRing(hourBytes, HOUR_RING);
  return sumWindow(minuteRing, hourRing, fromMs, toMs, nowMs);
}

/**
 * The last `limit` records pushed for a (target, region), all kinds, newest ingested first,
 * parsed from JSON (the collector validated them before ingest). A late arrival sits where it was
 * ingested, not where its `startedAt` would sort it.
 */
export async function readHistory(
  redis: Redis | Cluster,
  prefix: string,
  target: string,
  region: string,
  limit: number,
): Promise<unknown[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be an integer >= 1, got ${limit}`);
  const items = await redis.lrange(storeKeys.history(prefix, target, region), 0, limit - 1);
  return items.map((item): unknown => JSON.parse(item));
}

/** The newest attempt of each region that probed `target`, keyed by region. */
export async function readLatest(
  redis: Redis | Cluster,
  prefix: string,
  target: string,
): Promise<Record<string, LatestState>> {
  const fields = await redis.hgetall(storeKeys.latest(prefix, target));
  const latest: Record<string, LatestState> = {};
  for (const [region, value] of Object.entries(fields)) {
    // `${atMs}:${kind}:${outcome}`, written by the ingest script; outcomes have no `:`.
    const [atMs, kind, outcome] = value.split(':');
    if ((kind === 'syn' || kind === 'connect') && outcome !== undefined) {
      latest[region] = { outcome, atMs: Number(atMs), kind };
    }
  }
  return latest;
}

/**
 * Every series ever ingested under `prefix`, sorted. Walks the set with SSCAN so a large set
 * (60,000 series) never blocks Redis in one command.
 */
export async function listSeries(redis: Redis | Cluster, prefix: string): Promise<Series[]> {
  const members = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.sscan(storeKeys.series(prefix), cursor, 'COUNT', 1000);
    for (const member of batch) members.add(member);
    cursor = next;
  } while (cursor !== '0');
  const series: Series[] = [];
  for (const member of [...members].sort()) {
    const [target, region, kind] = member.split(':');
    if (target && region && (kind === 'syn' || kind === 'connect')) series.push({ target, region, kind });
  }
  return series;
}
