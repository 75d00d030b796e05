import type { AttemptRecord } from '../attempt-record.ts';
import type { Diagnosis } from '../verdict.ts';

/** A diagnosis as an on-demand report carries it: the target's current one, open or last resolved. */
export type ReportDiagnosis = Diagnosis & { status: 'open' | 'resolved'; openedAtMs: number; updatedAtMs: number };

/**
 * An on-demand probe as `GET /v1/probes/{id}` returns it and chat shows it. `running` until every
 * region has answered or the wait ran out; `abandoned` when the collector running it went away
 * before it ended (its results so far are kept).
 */
export type ProbeReport = {
  id: string;
  status: 'running' | 'done' | 'abandoned';
  /** Who asked: `slack:<team>/<user>` or `token:<name>`. */
  requestedBy: string;
  requestedAtMs: number;
  /** When the last region answered or the wait ended; `null` while running. */
  finishedAtMs: number | null;
  /** After this, a report still `running` is `abandoned`. */
  deadlineMs: number;
  target: {
    /** The configured name, or `adhoc-<host>`. */
    name: string;
    configured: boolean;
    /** As asked: `web` or `api.internal:443`. */
    display: string;
    port: number;
    /** The addresses probed, when known before probing (literals, or what a name resolved to). */
    addresses: string[];
  };
  regions: string[];
  /** Regions skipped because no runner of theirs was alive. */
  noRunner: string[];
  /** Regions that did not answer in time. */
  missing: string[];
  byRegion: Record<string, AttemptRecord[]>;
  diagnosis: ReportDiagnosis | null;
  /** The request's trace (one for every region), when traces are exported. */
  traceId: string | null;
};
