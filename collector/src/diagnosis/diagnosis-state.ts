import type { Diagnosis } from '@synack/shared/verdict';

/** A diagnosis as it lives over time: opened when its evidence first holds, resolved when probes succeed. */
export type DiagnosisRecord = Diagnosis & {
  target: string;
  /** Stable per opening: `<target>-<openedAtMs>`. */
  id: string;
  status: 'open' | 'resolved';
  openedAtMs: number;
  updatedAtMs: number;
  resolvedAtMs: number | null;
};

/**
 * The next state of a target's diagnosis, given the current one (or none) and a fresh verdict.
 * Pure. A failure verdict opens a diagnosis, or updates the open one (its verdict may sharpen,
 * e.g. from `unknown` once an agent snapshot arrives, never blur back to `unknown`; the same
 * verdict widens its scope, never narrows it); `ok` resolves the open one; `ok` with
 * nothing open changes nothing. A resolved record is never reopened: a new failure is a new one.
 */
export function nextDiagnosisState(
  target: string,
  current: DiagnosisRecord | null,
  fresh: Diagnosis,
  nowMs: number,
): DiagnosisRecord | null {
  const open = current?.status === 'open' ? current : null;
  if (fresh.verdict === 'ok') {
    if (!open) return null;
    return { ...open, status: 'resolved', updatedAtMs: nowMs, resolvedAtMs: nowMs };
  }
  if (!open) {
    return {
      ...fresh,
      target,
      id: `${target}-${nowMs}`,
      status: 'open',
      openedAtMs: nowMs,
      updatedAtMs: nowMs,
      resolvedAtMs: null,
    };
  }
  // A round whose evidence no longer decides (the fault being fixed, regions recovering one after
  // the other) does not un-name an open cause: only `ok` resolves it, or another named cause
  // replaces it.
  if (fresh.verdict === 'unknown' && open.verdict !== 'unknown') return { ...open, updatedAtMs: nowMs };
  // The same cause again: its scope is every region and family it has hit while open, so an
  // intermittent failure (a SYN flood lets some SYNs through) does not shrink and grow it.
  const scope =
    fresh.verdict === open.verdict
      ? {
          families: [...new Set([...open.scope.families, ...fresh.scope.families])].sort(),
          regions: [...new Set([...open.scope.regions, ...fresh.scope.regions])].sort(),
        }
      : fresh.scope;
  return { ...open, ...fresh, scope, updatedAtMs: nowMs };
}
