import type { Cluster, Redis } from 'ioredis';
import { storeKeys } from '../store/ingest-script.ts';
import { decodeSloRing, SLO_RINGS, sliBuckets } from '../store/slo-ring.ts';
import type { SliBucket } from './slo-math.ts';

/** One target's SLO rings to read: the regions that probe it, at its threshold. */
export type SloRingQuery = { target: string; regions: readonly string[]; thresholdMs: number };

/**
 * Reads the SLO rings of many targets in one pipeline and returns each target's SLI buckets per
 * region, in query order. A ring in another format is skipped for that region (and reported in
 * `unreadable`), never fatal for the others.
 */
export async function readSloBuckets(
  redis: Redis | Cluster,
  prefix: string,
  queries: readonly SloRingQuery[],
  nowMs: number,
): Promise<{ buckets: Record<string, SliBucket[]>[]; unreadable: string[] }> {
  const pipeline = redis.pipeline();
  for (const q of queries) {
    for (const region of q.regions) {
      pipeline.getBuffer(storeKeys.sloMinuteRing(prefix, q.target, region, q.thresholdMs));
      pipeline.getBuffer(storeKeys.sloHourRing(prefix, q.target, region, q.thresholdMs));
    }
  }
  const replies = (await pipeline.exec()) ?? [];
  const unreadable: string[] = [];
  let at = 0;
  const buckets = queries.map((q) => {
    const byRegion: Record<string, SliBucket[]> = {};
    for (const region of q.regions) {
      const [minuteReply, hourReply] = [replies[at++], replies[at++]];
      const error = minuteReply?.[0] ?? hourReply?.[0];
      if (error) {
        // A key of another type (WRONGTYPE) spoils that region only.
        unreadable.push(`${q.target}/${region}: ${error.message}`);
        continue;
      }
      try {
        const minute = decodeSloRing((minuteReply?.[1] as Buffer | null) ?? null, SLO_RINGS.minute);
        const hour = decodeSloRing((hourReply?.[1] as Buffer | null) ?? null, SLO_RINGS.hour);
        byRegion[region] = sliBuckets(minute, hour, nowMs);
      } catch (error) {
        unreadable.push(`${q.target}/${region}: ${(error as Error).message}`);
      }
    }
    return byRegion;
  });
  return { buckets, unreadable };
}
