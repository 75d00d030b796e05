import { z } from 'zod';
import type { TargetConfig } from '../config/synack-config.ts';

/** Version of the probe-job payload; a runner refuses versions it does not know. */
export const PROBE_JOB_VERSION = 1;

const name = z.string().regex(/^[a-z0-9-]{1,63}$/);

/** One target in a probe job, with when to probe it inside the job's slot. */
export const probeJobTargetSchema = z.object({
  name,
  address: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  probes: z
    .array(z.enum(['syn', 'connect']))
    .min(1)
    .max(2),
  families: z
    .array(z.enum(['v4', 'v6']))
    .min(1)
    .max(2),
  /** As the config allows: at most 10 minutes. */
  timeoutMs: z.number().int().min(1).max(600_000),
  /** Milliseconds after the slot's start at which this target is due. */
  atMs: z.number().int().min(0).max(86_400_000),
  /**
   * A TCP traceroute instead of the probes: TTL-limited SYNs to the target's port, hop by hop up
   * to `maxHops` (one SYN per hop, each waiting `timeoutMs`). Asked for by the collector when a
   * diagnosis points to the path; its records go to the requester only, never to the aggregates.
   */
  trace: z.object({ maxHops: z.number().int().min(1).max(64) }).optional(),
  /**
   * On-demand probes: attempts per probe kind and address at once, each from its own source port,
   * so that paths spread by ECMP hashing show apart (`synack probe --regions … --source-ports N`).
   */
  sourcePorts: z.number().int().min(1).max(64).optional(),
});
export type ProbeJobTarget = z.infer<typeof probeJobTargetSchema>;

/**
 * What the scheduler (or an on-demand request) puts on a region's queue. Scheduled jobs come from
 * BullMQ Job Schedulers: one per (interval, slot), carrying the targets due in that slot, so that
 * thousands of targets cost a few dozen schedulers and each target keeps its own offset.
 */
export const probeJobSchema = z.object({
  v: z.literal(PROBE_JOB_VERSION),
  /** `scheduled`: from a Job Scheduler; `on_demand`: one-off, high priority. */
  origin: z.enum(['scheduled', 'on_demand']),
  targets: z.array(probeJobTargetSchema).min(1).max(10_000),
  /** On-demand probes: the request the results answer (for waiting callers). */
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .optional(),
  /**
   * The region whose runners may run it. Signed with the rest, so a job copied onto another
   * region's queue is refused there.
   */
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .optional(),
  /** Scheduled jobs: their Job Scheduler's interval, signed, for the runner's lateness checks. */
  everyMs: z.number().int().min(1).max(86_400_000).optional(),
  /**
   * On-demand jobs: when the signer issued it (epoch ms). Runners refuse one older than 10
   * minutes or more than a minute ahead (see signed-job.ts). Scheduled jobs have none: their
   * Job Scheduler repeats the same signed template forever.
   */
  issuedAtMs: z.number().int().min(0).optional(),
});
export type ProbeJob = z.infer<typeof probeJobSchema>;

/** A configured target as a probe-job target (what to probe; `atMs` is added by the caller). */
export function jobTargetOf(target: TargetConfig): Omit<ProbeJobTarget, 'atMs'> {
  return {
    name: target.name,
    address: target.address,
    port: target.port,
    probes: [...target.probes],
    families: [...target.families],
    timeoutMs: target.timeoutMs,
  };
}
