import { createHash } from 'node:crypto';
import type { JobSigner, SignedJob } from '@synack/shared/wire/signed-job';
import type { Queue } from 'bullmq';
import type { DesiredSlot } from './desired-schedule.ts';

/** What one reconciliation changed on one queue. */
export type ReconcileResult = { upserted: number; removed: number; unchanged: number };

// Finished jobs are not kept: results travel on their own queue, and a queue of millions of
// completed probe jobs would be Redis memory spent on nothing.
const TEMPLATE_OPTS = { removeOnComplete: true, removeOnFail: 1000, attempts: 1 };

/**
 * Makes one region queue's Job Schedulers match `desired` (all for that queue): upserts the new
 * and the changed ones, removes those no longer wanted, and leaves the rest alone, so a reload or
 * a target turning failing touches only the slots it changes. A scheduler's job name carries a
 * hash of its settings and signed payload: that is how "changed" is told without reading every
 * template. Templates are signed by `signer`; Ed25519 signatures are deterministic, so an
 * unchanged job keeps its hash, and a new signing key re-signs every template.
 */
export async function reconcileSchedulers(
  queue: Queue,
  desired: readonly DesiredSlot[],
  signer: JobSigner,
): Promise<ReconcileResult> {
  const existing = new Map<string, string>();
  for (const scheduler of await queue.getJobSchedulers(0, -1)) {
    existing.set(scheduler.id ?? scheduler.key, scheduler.name);
  }
  const result: ReconcileResult = { upserted: 0, removed: 0, unchanged: 0 };
  const wanted = new Set<string>();
  for (const slot of desired) {
    wanted.add(slot.schedulerId);
    const data = signer.sign(slot.job);
    const name = `probe-${slotHash(slot, data)}`;
    if (existing.get(slot.schedulerId) === name) {
      result.unchanged++;
      continue;
    }
    await queue.upsertJobScheduler(
      slot.schedulerId,
      { every: slot.everyMs, offset: slot.offsetMs },
      { name, data, opts: TEMPLATE_OPTS },
    );
    result.upserted++;
  }
  for (const id of existing.keys()) {
    if (wanted.has(id)) continue;
    await queue.removeJobScheduler(id);
    result.removed++;
  }
  return result;
}

function slotHash(slot: DesiredSlot, data: SignedJob): string {
  return createHash('sha256')
    .update(JSON.stringify([slot.everyMs, slot.offsetMs, data]))
    .digest('base64url')
    .slice(0, 16);
}
