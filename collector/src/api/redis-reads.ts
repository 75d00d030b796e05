import type { AttemptRecord } from '@synack/shared/attempt-record';
import { isAnswered } from '@synack/shared/probe-outcome';
import { liveRunners, runnersKey } from '@synack/shared/wire/runner-heartbeat';
import type { Cluster, Redis } from 'ioredis';
import type { DiagnosisStore } from '../diagnosis/diagnosis-store.ts';
import { listSeries, readHistory, readLatest, readWindow } from '../store/read-aggregates.ts';
import type { CollectorReads } from './create-app.ts';
import type { TargetStatus } from './target-status.ts';

const WINDOW_MS = 5 * 60_000;
const CHUNK = 200;

/** Where the API's reads come from: the store in Redis, plus the consumer's own counters. */
export type RedisReadsOptions = {
  redis: Redis | Cluster;
  prefix: () => string;
  counters: () => { ingested: number; rejected: number };
  historyPerSeries: () => number;
  diagnoses: DiagnosisStore;
  now?: () => number;
};

/** The API's reads from Redis: every collector serves the same answers, whoever ingested. */
export function redisReads(options: RedisReadsOptions): CollectorReads {
  const { redis } = options;
  const now = options.now ?? Date.now;
  return {
    async health() {
      const redisOk = await redis.ping().then(
        (reply) => reply === 'PONG',
        () => false,
      );
      return { redis: redisOk, ...options.counters() };
    },
    async runners() {
      return liveRunners(await redis.hgetall(runnersKey(options.prefix())), now());
    },
    async targets() {
      const prefix = options.prefix();
      const series = await listSeries(redis, prefix);
      const at = now();
      const rows: TargetStatus[] = [];
      for (let i = 0; i < series.length; i += CHUNK) {
        const chunk = series.slice(i, i + CHUNK);
        rows.push(
          ...(await Promise.all(
            chunk.map(async (s): Promise<TargetStatus> => {
              const [window, history] = await Promise.all([
                readWindow(redis, prefix, s, at - WINDOW_MS, at, at),
                readHistory(redis, prefix, s.target, s.region, options.historyPerSeries()),
              ]);
              const records = (history as AttemptRecord[]).filter((r) => r.kind === s.kind);
              const last = records.reduce<AttemptRecord | undefined>(
                (newest, r) => (!newest || r.startedAt > newest.startedAt ? r : newest),
                undefined,
              );
              const rtts = records
                .filter((r) => isAnswered(r.outcome) && r.rttUs !== null && at - Date.parse(r.startedAt) <= WINDOW_MS)
                .map((r) => r.rttUs as number)
                .sort((a, b) => a - b);
              return {
                target: s.target,
                region: s.region,
                kind: s.kind,
                lastOutcome: last?.outcome ?? null,
                lastAtMs: last ? Date.parse(last.startedAt) : null,
                attempts5m: window.attempts,
                successRatio5m: window.attempts > 0 ? window.successes / window.attempts : null,
                rttP50Us: percentile(rtts, 0.5),
                rttP99Us: percentile(rtts, 0.99),
              };
            }),
          )),
        );
      }
      return rows;
    },
    async diagnoses(target) {
      if (target === undefined) return { current: await options.diagnoses.all(), log: [] };
      const current = await options.diagnoses.current(target);
      return { current: current ? [current] : [], log: await options.diagnoses.log(target) };
    },
    async attempts({ target, region, limit }) {
      const prefix = options.prefix();
      const regions = region ? [region] : Object.keys(await readLatest(redis, prefix, target));
      const lists = await Promise.all(regions.map((r) => readHistory(redis, prefix, target, r, limit)));
      return (lists.flat() as AttemptRecord[])
        .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
        .slice(0, limit);
    },
  };
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}
