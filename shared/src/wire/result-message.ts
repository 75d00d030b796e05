import { z } from 'zod';
import type { AttemptRecord } from '../attempt-record.ts';

/** Version of the result batch; the collector refuses versions it does not know. */
export const RESULT_BATCH_VERSION = 1;

const region = z.string().regex(/^[a-z0-9-]{1,32}$/);

/**
 * One attempt as a runner reports it. `record` is checked on its own (attemptRecordSchema), so
 * that one bad record is reported and skipped without losing the rest of its batch.
 */
export const resultItemSchema = z.object({
  /** Idempotency key (`resultId()`): the same when a retried job repeats the attempt. */
  resultId: z.string().min(1).max(300),
  /** The probe job this attempt belongs to. */
  jobId: z.string().min(1).max(256),
  /** When the attempt was due (epoch ms); its lateness is `startedAt - dueAtMs`. */
  dueAtMs: z.number().int().nonnegative(),
  /**
   * `target`: a configured or on-demand target; `control`: the runner's own health check;
   * `trace`: one hop of a TCP traceroute (for the requester only, not counted).
   */
  role: z.enum(['target', 'control', 'trace']),
  requestId: z.string().max(64).optional(),
  /**
   * The runner's last self-check (control probe) when it made the attempt (`selfCheckSchema`);
   * absent before the first. Checked per item by the collector: a bad stamp counts as none,
   * never sinking the batch.
   */
  selfCheck: z.unknown().optional(),
  /** On-demand probes: the attempt's timeout, and how many source ports the job spread over. */
  timeoutMs: z.unknown().optional(),
  sourcePorts: z.unknown().optional(),
  record: z.unknown(),
});

/**
 * What a runner puts on the results queue: the attempts it finished recently, in one job, so
 * that thousands of attempts per second cost tens of queue operations, not thousands.
 */
export const resultBatchSchema = z.object({
  v: z.literal(RESULT_BATCH_VERSION),
  region,
  runnerId: z.string().min(1).max(128),
  items: z.array(resultItemSchema).min(1).max(10_000),
});

export type ResultItem = Omit<z.infer<typeof resultItemSchema>, 'record'> & { record: AttemptRecord };

/** A result item's self-check stamp. */
export const selfCheckSchema = z.object({ ok: z.boolean(), atMs: z.number().int().nonnegative() });

/** A result item's on-demand extras, each dropped alone when malformed. */
export const onDemandExtrasSchema = z.object({
  timeoutMs: z.number().int().min(1).max(600_000).optional().catch(undefined),
  sourcePorts: z.number().int().min(1).max(64).optional().catch(undefined),
});
export type ResultBatch = Omit<z.infer<typeof resultBatchSchema>, 'items'> & { items: ResultItem[] };

/**
 * The idempotency key of an attempt: derived from the region, the job, the target, the kind and
 * the address, so the same attempt made again by a second runner (after the first died mid-job)
 * is counted once. The region is part of it because every region's queue runs the same Job
 * Schedulers, whose iterations have the same ids.
 */
export function resultId(
  region: string,
  jobId: string,
  targetName: string,
  kind: string,
  address: string,
  port: number,
): string {
  return `${region}|${jobId}|${targetName}|${kind}|${address}|${port}`;
}
