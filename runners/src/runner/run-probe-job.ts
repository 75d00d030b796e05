import type { AddressFamily } from '@synack/shared/address-family';
import type { AttemptRecord, ProbeTarget, SynAttemptRecord } from '@synack/shared/attempt-record';
import type { ProbeKind } from '@synack/shared/probe-outcome';
import { ErrorCode } from '@synack/shared/synack-error';
import type { ProbeJob, ProbeJobTarget } from '@synack/shared/wire/probe-job';
import { type ResultItem, resultId } from '@synack/shared/wire/result-message';
import type { ConcurrencyLimit } from './concurrency-limit.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { refusedRecord } from './refused-record.ts';

/** The addresses a job target stands for, or why there are none. */
export type Resolution = { ok: true; addresses: ProbeTarget[] } | { ok: false; family: AddressFamily; message: string };

/** What running a probe job needs; everything with I/O or time is injected. */
export type ProbeJobDeps = {
  /** The region this runner probes from (part of every result's idempotency key). */
  region: string;
  /** Wall clock, epoch ms. */
  now: () => number;
  /** Resolves once `epochMs` is reached (at once when past) or `signal` aborts. */
  sleepUntil: (epochMs: number, signal?: AbortSignal) => Promise<void>;
  /** A literal address as is; a name to its addresses of the wanted families. */
  resolve: (target: ProbeJobTarget) => Promise<Resolution[]>;
  isAllowed: (address: string, port: number) => boolean;
  rateLimiter: RateLimiter;
  limit: ConcurrencyLimit;
  nextId: () => string;
  probe: (kind: ProbeKind, target: ProbeTarget, timeoutMs: number) => Promise<AttemptRecord>;
  /** A TCP traceroute to `target` (raw SYNs); absent where raw sockets are not allowed. */
  trace?: (target: ProbeTarget, maxHops: number, timeoutMs: number) => Promise<SynAttemptRecord[]>;
};

/**
 * Runs one probe job: each target at its due time (`dueAtMs + atMs`), each of its probe kinds
 * against each of its addresses, within the runner's concurrency limit. Addresses outside the
 * allow-list, and attempts over the per-target rate cap, are recorded as `local_error` and not
 * probed: a job written into Redis by hand cannot make the runner probe anything else.
 * `emit` gets every attempt as it ends; the promise settles when all have ended. Aborting
 * `signal` skips the targets not yet due (in-flight probes still finish and are emitted).
 */
export async function runProbeJob(
  job: ProbeJob,
  jobId: string,
  dueAtMs: number,
  deps: ProbeJobDeps,
  emit: (item: ResultItem) => void,
  signal?: AbortSignal,
): Promise<number> {
  let emitted = 0;
  const report = (
    targetDueAtMs: number,
    record: AttemptRecord,
    role: 'target' | 'trace' = 'target',
    slot = 0,
    target?: ProbeJobTarget,
  ) => {
    emitted++;
    const item: ResultItem = {
      resultId: resultId(
        deps.region,
        jobId,
        record.target.name,
        // One SYN per hop: the hop keeps each trace record's key apart; so does the source-port slot.
        role === 'trace'
          ? `${record.kind}-ttl${record.sentTtl ?? 0}`
          : slot > 0
            ? `${record.kind}-sp${slot}`
            : record.kind,
        record.target.address,
        record.target.port,
      ),
      jobId,
      dueAtMs: targetDueAtMs,
      role,
      record,
    };
    if (job.requestId) {
      item.requestId = job.requestId;
      // What the collector needs to make the request's trace: when to stop waiting for it, and
      // whether its attempts spread over source ports.
      if (target) item.timeoutMs = target.timeoutMs;
      if (target?.sourcePorts && target.sourcePorts > 1) item.sourcePorts = target.sourcePorts;
    }
    emit(item);
  };
  await Promise.all(
    job.targets.map(async (target) => {
      const targetDueAtMs = dueAtMs + target.atMs;
      await deps.sleepUntil(targetDueAtMs, signal);
      if (signal?.aborted) return;
      const resolutions = await deps.resolve(target);
      const attempts: Promise<void>[] = [];
      for (const resolution of resolutions) {
        if (!resolution.ok) {
          const unspecified = resolution.family === 'v4' ? '0.0.0.0' : '::';
          const where = { name: target.name, address: unspecified, port: target.port, family: resolution.family };
          for (const kind of target.probes) {
            const record = refusedRecord(
              kind,
              where,
              ErrorCode.resolveFailed,
              resolution.message,
              deps.nextId(),
              iso(deps.now()),
            );
            report(targetDueAtMs, record);
          }
          continue;
        }
        for (const address of resolution.addresses) {
          if (target.trace) {
            attempts.push(
              traceAddress(address, target.trace.maxHops, target.timeoutMs, deps).then((records) => {
                for (const record of records) report(targetDueAtMs, record, 'trace');
              }),
            );
            continue;
          }
          for (const kind of target.probes) {
            for (let slot = 0; slot < (target.sourcePorts ?? 1); slot++) {
              attempts.push(
                attempt(kind, address, target.timeoutMs, deps).then((record) =>
                  report(targetDueAtMs, record, 'target', slot, target),
                ),
              );
            }
          }
        }
      }
      await Promise.all(attempts);
    }),
  );
  return emitted;
}

/**
 * A trace to one address, if the allow-list permits it and this runner can send raw SYNs; else
 * one refused `local_error` record saying why. Traces skip the per-address rate cap: the collector
 * asks for them rarely, and each is bounded by `maxHops` SYNs.
 */
async function traceAddress(
  target: ProbeTarget,
  maxHops: number,
  timeoutMs: number,
  deps: ProbeJobDeps,
): Promise<SynAttemptRecord[]> {
  if (!deps.isAllowed(target.address, target.port)) {
    const message = `${target.address} port ${target.port} is outside the runner's allow-list`;
    return [
      refusedRecord('syn', target, ErrorCode.notAllowed, message, deps.nextId(), iso(deps.now())) as SynAttemptRecord,
    ];
  }
  if (!deps.trace) {
    const message = 'this runner cannot send raw SYNs (CAP_NET_RAW), so it cannot trace';
    return [
      refusedRecord(
        'syn',
        target,
        ErrorCode.rawSocketDenied,
        message,
        deps.nextId(),
        iso(deps.now()),
      ) as SynAttemptRecord,
    ];
  }
  const trace = deps.trace;
  return deps.limit.run(() => trace(target, maxHops, timeoutMs));
}

function attempt(kind: ProbeKind, target: ProbeTarget, timeoutMs: number, deps: ProbeJobDeps): Promise<AttemptRecord> {
  if (!deps.isAllowed(target.address, target.port)) {
    const message = `${target.address} port ${target.port} is outside this runner's allow-list; nothing was sent`;
    return Promise.resolve(refusedRecord(kind, target, ErrorCode.notAllowed, message, deps.nextId(), iso(deps.now())));
  }
  // Keyed by where the SYNs go, not by name: many names for one address share its cap.
  if (!deps.rateLimiter.take(`${target.address}|${target.port}`, deps.now())) {
    const message = `probe rate cap for "${target.name}" reached on this runner; nothing was sent`;
    return Promise.resolve(refusedRecord(kind, target, ErrorCode.rateLimited, message, deps.nextId(), iso(deps.now())));
  }
  return deps.limit.run(() => deps.probe(kind, target, timeoutMs));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
