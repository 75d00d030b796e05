import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { TargetConfig } from '@synack/shared/config/synack-config';
import { liveRunners, runnersKey } from '@synack/shared/wire/runner-heartbeat';
import type { Cluster, Redis } from 'ioredis';
import { readHistory } from '../store/read-aggregates.ts';
import type { DiagnosisInput, ObservedAttempt } from './diagnosis-input.ts';

/**
 * Collects one target's evidence for the window ending at `nowMs`: every region's recent attempts
 * (from the history lists), the live runners and their control results, and the server agent's
 * view (`agent`, from whoever reports for this target; `null` without one).
 */
export async function gatherEvidence(
  redis: Redis | Cluster,
  prefix: string,
  target: TargetConfig,
  historyPerSeries: number,
  nowMs: number,
  windowMs: number,
  agent: DiagnosisInput['agent'] = null,
): Promise<DiagnosisInput> {
  const lists = await Promise.all(
    target.regions.map(async (region) => ({
      region,
      records: (await readHistory(redis, prefix, target.name, region, historyPerSeries)) as AttemptRecord[],
    })),
  );
  const attempts: ObservedAttempt[] = [];
  const addresses = new Set<string>();
  for (const { region, records } of lists) {
    for (const r of records) {
      const startedAtMs = Date.parse(r.startedAt);
      if (!(startedAtMs >= nowMs - windowMs && startedAtMs <= nowMs)) continue;
      if (r.target.address !== '0.0.0.0' && r.target.address !== '::') addresses.add(r.target.address);
      const attempt: ObservedAttempt = {
        region,
        family: r.target.family,
        address: r.target.address,
        kind: r.kind,
        outcome: r.outcome,
        startedAtMs,
      };
      if (r.error) attempt.errorCode = r.error.code;
      if (r.icmp) attempt.icmp = { type: r.icmp.type, code: r.icmp.code, from: r.icmp.from, meaning: r.icmp.meaning };
      attempts.push(attempt);
    }
  }
  const runners = liveRunners(await redis.hgetall(runnersKey(prefix)), nowMs)
    .filter((r) => target.regions.includes(r.region))
    .map((r) => ({ id: r.id, region: r.region, controlOk: r.control?.ok ?? null }));
  return {
    target: { name: target.name, port: target.port, addresses: [...addresses] },
    attempts,
    runners,
    agent,
  };
}
