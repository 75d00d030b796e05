import type { SynackConfig } from '@synack/shared/config/synack-config';
import { jobTargetOf, PROBE_JOB_VERSION, type ProbeJob } from '@synack/shared/wire/probe-job';
import { targetOffsetMs } from './target-offset.ts';

/** One Job Scheduler to have on a region's queue. */
export type DesiredSlot = {
  region: string;
  /** Deterministic, no ':' (BullMQ ids): `i10000-s37`. */
  schedulerId: string;
  everyMs: number;
  offsetMs: number;
  job: ProbeJob;
};

/** Width of a slot: the targets due within it share one job (and one Job Scheduler). */
export const SLOT_MS = 100;

/**
 * How long before its slot a job is released. BullMQ promotes a delayed job some tens of ms
 * late under load; released early, the runner waits for each target's own due time instead, so
 * the probe starts on time.
 */
export const LEAD_MS = 300;

/**
 * The schedule the configuration asks for, as Job Schedulers per region. Pure.
 *
 * Targets are grouped by (region, interval, 100 ms slot of their offset): 10,000 targets at 10 s
 * are 100 schedulers per region, each job released `LEAD_MS` before its slot and carrying the
 * targets of its slot with when each is due (`atMs` after the release), which the runner honours.
 * A target's regions and probe kinds are spread evenly over its interval from its offset, each
 * (region, kind) its own entry. A target in `failing`
 * is probed at its failing interval instead, in every region, until it recovers.
 */
export function desiredSchedule(config: SynackConfig, failing: ReadonlySet<string>): DesiredSlot[] {
  const slots = new Map<string, DesiredSlot>();
  for (const target of config.targets) {
    const everyMs = failing.has(target.name)
      ? Math.min(target.failingIntervalMs, target.intervalMs)
      : target.intervalMs;
    const base = targetOffsetMs(target.name, everyMs);
    const turns = target.regions.length * target.probes.length;
    for (const [index, region] of target.regions.entries()) {
      for (const [k, kind] of target.probes.entries()) {
        // Regions and probe kinds take turns over the interval (a's SYN, b's SYN, a's connect,
        // b's connect...): a fault that hits every region is seen within interval / turns, and
        // one region's within interval / kinds, at no extra probes.
        const offset = (base + Math.floor(((k * target.regions.length + index) * everyMs) / turns)) % everyMs;
        const slot = Math.floor(offset / SLOT_MS);
        const schedulerId = `i${everyMs}-s${slot}`;
        const key = `${region} ${schedulerId}`;
        let desired = slots.get(key);
        if (!desired) {
          const release = (((slot * SLOT_MS - LEAD_MS) % everyMs) + everyMs) % everyMs;
          desired = {
            region,
            schedulerId,
            everyMs,
            // BullMQ reads an offset of 0 as "none" and then keeps whatever phase `now` has: a full
            // interval is the same phase as 0.
            offsetMs: release === 0 ? everyMs : release,
            job: { v: PROBE_JOB_VERSION, origin: 'scheduled', region, everyMs, targets: [] },
          };
          slots.set(key, desired);
        }
        desired.job.targets.push({ ...jobTargetOf(target), probes: [kind], atMs: LEAD_MS + offset - slot * SLOT_MS });
      }
    }
  }
  const out = [...slots.values()];
  for (const slot of out) slot.job.targets.sort((a, b) => a.atMs - b.atMs || (a.name < b.name ? -1 : 1));
  return out.sort((a, b) =>
    a.region < b.region ? -1 : a.region > b.region ? 1 : a.everyMs - b.everyMs || a.offsetMs - b.offsetMs,
  );
}
