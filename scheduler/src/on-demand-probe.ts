import { randomUUID } from 'node:crypto';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import { PROBE_JOB_VERSION, type ProbeJob, type ProbeJobTarget } from '@synack/shared/wire/probe-job';
import { liveRunners, runnersKey } from '@synack/shared/wire/runner-heartbeat';
import type { JobSigner } from '@synack/shared/wire/signed-job';
import type { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

/** What an on-demand probe asks for. */
export type OnDemandRequest = {
  /** One target, or several probed together (e.g. each address a name resolved to). */
  targets: readonly Omit<ProbeJobTarget, 'atMs'>[];
  regions: readonly string[];
  /** Give up on regions that have not answered after this long. Default: the longest target timeout + 10 s. */
  waitMs?: number;
  /** Chosen by the caller when it must name the request before it ends; default a random UUID. */
  requestId?: string;
};

/** What every region saw. `missing` lists regions whose runner did not finish in time. */
export type OnDemandResult = {
  requestId: string;
  byRegion: Record<string, AttemptRecord[]>;
  missing: string[];
};

export type OnDemandDeps = {
  redis: Redis | Cluster;
  prefix: string;
  queueFor: (region: string) => Queue;
  /** Signs the jobs (dated: runners refuse them after 10 minutes). */
  signer: JobSigner;
  now?: () => number;
};

/**
 * Runs one probe now from several regions: checks that each region has a live runner (failing
 * clearly when one has none), puts a one-off job on each region's on-demand queue (which runners
 * serve apart from the scheduled one, so it never waits behind a backlog), and waits
 * until every region's runner has reported, or `waitMs` passes. The runners still apply their
 * allow-list and rate caps. Used by `synack probe --regions`, and by chat later.
 */
export async function probeOnDemand(deps: OnDemandDeps, request: OnDemandRequest): Promise<OnDemandResult> {
  const now = deps.now ?? Date.now;
  const live = liveRunners(await deps.redis.hgetall(runnersKey(deps.prefix)), now());
  const dead = request.regions.filter((region) => !live.some((runner) => runner.region === region));
  if (dead.length > 0) {
    throw new SynackError(
      ErrorCode.noRunner,
      `no live runner in region${dead.length > 1 ? 's' : ''} ${dead.join(', ')} (start one: synack runner --region ${dead[0]} --config …)`,
    );
  }
  const requestId = request.requestId ?? randomUUID();
  const job: ProbeJob = {
    v: PROBE_JOB_VERSION,
    origin: 'on_demand',
    requestId,
    targets: request.targets.map((target) => ({ ...target, atMs: 0 })),
    issuedAtMs: Math.round(now()),
  };
  // Signed per region: a region's runner refuses a job meant for another.
  await Promise.all(
    request.regions.map((region) =>
      deps.queueFor(region).add('on-demand', deps.signer.sign({ ...job, region }), {
        jobId: `od-${requestId}-${region}`,
        removeOnComplete: true,
        removeOnFail: 1000,
      }),
    ),
  );
  const key = `${deps.prefix}:od:${requestId}`;
  const deadline = now() + (request.waitMs ?? Math.max(...request.targets.map((t) => t.timeoutMs)) + 10_000);
  const byRegion: Record<string, AttemptRecord[]> = Object.fromEntries(request.regions.map((r) => [r, []]));
  const done = new Set<string>();
  let read = 0;
  while (done.size < request.regions.length && now() < deadline) {
    const items = await deps.redis.lrange(key, read, -1);
    read += items.length;
    for (const text of items) {
      const item = JSON.parse(text) as { region: string; done?: boolean; record?: AttemptRecord };
      if (item.done) done.add(item.region);
      else if (item.record) byRegion[item.region]?.push(item.record);
    }
    if (done.size < request.regions.length) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await deps.redis.del(key);
  return { requestId, byRegion, missing: request.regions.filter((r) => !done.has(r)) };
}
