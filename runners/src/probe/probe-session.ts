import { setTimeout as delay } from 'node:timers/promises';
import type { AttemptRecord, ConnectAttemptRecord, ProbeTarget, SynAttemptRecord } from '@synack/shared/attempt-record';
import type { ProbeKind } from '@synack/shared/probe-outcome';
import type { RetransmitPolicy } from '../syn/retransmit-schedule.ts';

/** What `synack probe` runs: rounds of attempts against every target and kind. */
export type ProbeSessionPlan = {
  targets: readonly ProbeTarget[];
  kinds: readonly ProbeKind[];
  /** Rounds to run; 0 runs until `signal` aborts. */
  count: number;
  /** Time between the starts of two rounds, in ms. */
  intervalMs: number;
  /** Attempts per target and kind in each round, each from its own source port (ECMP spread). */
  sourcePorts: number;
  policy: RetransmitPolicy;
};

/** The engines a session drives; injected so the session itself has no sockets. */
export type ProbeEngines = {
  syn: (target: ProbeTarget, policy: RetransmitPolicy) => Promise<SynAttemptRecord>;
  connect: (target: ProbeTarget, timeoutMs: number) => Promise<ConnectAttemptRecord>;
};

/**
 * Runs the plan: a round starts every `intervalMs` (attempts of a round run concurrently and may
 * overlap the next round, as ping's do). Calls `onRecord` as each attempt ends and resolves with
 * the number of attempts once every started attempt has ended. Aborting stops new rounds only.
 * Nothing is kept per attempt, so `count: 0` can run for as long as it is left running.
 */
export async function runProbeSession(
  plan: ProbeSessionPlan,
  engines: ProbeEngines,
  onRecord: (record: AttemptRecord) => void,
  signal?: AbortSignal,
): Promise<number> {
  let started = 0;
  let outstanding = 0;
  let drained: (() => void) | undefined;
  const keep = (promise: Promise<AttemptRecord>) => {
    started++;
    outstanding++;
    promise.then((record) => {
      onRecord(record);
      if (--outstanding === 0) drained?.();
    });
  };
  const start = performance.now();
  for (let round = 0; plan.count === 0 || round < plan.count; round++) {
    if (signal?.aborted) break;
    if (round > 0) {
      const wait = start + round * plan.intervalMs - performance.now();
      try {
        if (wait > 0) await delay(wait, undefined, { signal });
      } catch {
        break; // aborted while waiting for the next round
      }
    }
    for (const target of plan.targets) {
      for (const kind of plan.kinds) {
        for (let i = 0; i < plan.sourcePorts; i++) {
          keep(kind === 'syn' ? engines.syn(target, plan.policy) : engines.connect(target, plan.policy.timeoutMs));
        }
      }
    }
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (drained = resolve));
  return started;
}
