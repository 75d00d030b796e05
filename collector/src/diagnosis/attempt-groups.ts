import type { AddressFamily } from '@synack/shared/address-family';
import type { ObservedAttempt } from './diagnosis-input.ts';

/** How a region × family's current failure shows: silence, RST, ICMP, or a local error. */
export type Failure = 'silent' | 'rst' | 'icmp' | 'local';

/**
 * A region × family × target address of a window (a name with several addresses has a group per
 * address: one dead address among live ones must not flap with them), with how its current
 * failure ends, if it fails.
 */
export type AttemptGroup = {
  region: string;
  family: AddressFamily;
  /** The target address probed (`undefined` when the attempts do not say). */
  address: string | undefined;
  failure: Failure | null;
  /** The latest attempt of each probe kind: the current state. */
  latest: ObservedAttempt[];
  /** The failed attempts since each kind last answered, oldest first: this failure's evidence. */
  streak: ObservedAttempt[];
  /** When the latest answered attempt started (fine groups), for freshness. */
  answeredAtMs: number | null;
};

/** The window's groups: the failing ones, the fine ones, and when the current failure began. */
export type AttemptGroups = {
  failing: AttemptGroup[];
  /**
   * Groups that answered after the failure began (all answering groups when nothing fails).
   * A group whose last answer is older than the failure says nothing about it: it is left out of
   * both lists until it is probed again.
   */
  fine: AttemptGroup[];
  /** The first failed attempt of the current failure; `null` when nothing fails. */
  failureStartMs: number | null;
};

const ANSWERED = new Set(['synack', 'established']);
const RST = new Set(['rst', 'refused', 'reset']);

/**
 * Splits a window's attempts by region and family, and finds each group's current failure: the
 * attempts since each probe kind last answered. Evidence from before a kind's last answer (the
 * ICMP of a fault that has since been fixed) belongs to an earlier failure and is not used. Pure.
 */
export function groupAttempts(attempts: readonly ObservedAttempt[]): AttemptGroups {
  const byKey = new Map<
    string,
    { region: string; family: AddressFamily; address: string | undefined; attempts: ObservedAttempt[] }
  >();
  for (const a of [...attempts].sort((x, y) => x.startedAtMs - y.startedAtMs)) {
    const key = `${a.region}/${a.family}/${a.address ?? ''}`;
    const entry = byKey.get(key) ?? { region: a.region, family: a.family, address: a.address, attempts: [] };
    entry.attempts.push(a);
    byKey.set(key, entry);
  }
  const groups: AttemptGroup[] = [...byKey.values()]
    .sort((x, y) =>
      `${x.region}/${x.family}/${x.address ?? ''}` < `${y.region}/${y.family}/${y.address ?? ''}` ? -1 : 1,
    )
    .map(({ region, family, address, attempts: list }) => {
      const kinds = [...new Set(list.map((a) => a.kind))];
      const latest = kinds.map((kind) => list.filter((a) => a.kind === kind).at(-1) as ObservedAttempt);
      const streak = kinds
        .flatMap((kind) => {
          const ofKind = list.filter((a) => a.kind === kind);
          const lastAnswer = ofKind.findLastIndex((a) => ANSWERED.has(a.outcome));
          return ofKind.slice(lastAnswer + 1);
        })
        .sort((x, y) => x.startedAtMs - y.startedAtMs);
      const answered = list.filter((a) => ANSWERED.has(a.outcome)).at(-1);
      return {
        region,
        family,
        address,
        failure: streak.length === 0 ? null : classify(latest, streak),
        latest,
        streak,
        answeredAtMs: answered?.startedAtMs ?? null,
      };
    });
  const failing = groups.filter((g) => g.failure !== null);
  const failureStartMs = failing.length === 0 ? null : Math.min(...failing.map((g) => g.streak[0]?.startedAtMs ?? 0));
  const fine = groups.filter(
    (g) => g.failure === null && (failureStartMs === null || (g.answeredAtMs ?? 0) >= failureStartMs),
  );
  return { failing, fine, failureStartMs };
}

function classify(latest: readonly ObservedAttempt[], streak: readonly ObservedAttempt[]): Failure {
  // connect() reports only EHOSTUNREACH/ENETUNREACH; the raw SYNs of the failure say who sent what.
  if (streak.some((a) => a.icmp || a.outcome === 'unreachable')) return 'icmp';
  if (latest.some((a) => RST.has(a.outcome))) return 'rst';
  if (latest.some((a) => a.outcome === 'local_error')) return 'local';
  return 'silent';
}
