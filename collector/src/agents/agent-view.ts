import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import type { DiagnosisInput } from '../diagnosis/diagnosis-input.ts';

/** How long ARP/ND takes to give up on a neighbour (3 probes, 1 s apart). */
const NEIGHBOUR_GIVE_UP_MS = 3_000;

/** A firewall rule's identity across snapshots: handles are only unique within a table. */
export function firewallRuleKey(rule: { family: string; table: string; handle: number }): string {
  return `${rule.family} ${rule.table} ${rule.handle}`;
}

/**
 * One agent's view of what happened from `fromMs` to `toMs`, from its snapshots. Pure.
 *
 * Counter deltas and drop counts are summed over the snapshots whose deltas lie wholly after
 * `fromMs` (their `sinceMs` is at or after it): a snapshot that straddles `fromMs` mixes in what
 * came before, such as the counters of an earlier, fixed fault. Firewall rule counters are the
 * increase over the same span; a rule the span's first snapshot did not have was added since, and
 * all its packets count. Listeners are the latest, with the fullest queues of the span; route
 * lookups, sysctls and sources are the latest. `span` says
 * what the view covers; `null` when no snapshot lies wholly in the window yet.
 */
export function agentView(
  snapshots: readonly AgentSnapshot[],
  fromMs: number,
  toMs: number,
): NonNullable<DiagnosisInput['agent']> | null {
  const sorted = snapshots.filter((s) => s.atMs <= toMs).sort((a, b) => a.atMs - b.atMs);
  const covering = sorted.filter((s) => s.sinceMs !== null && s.sinceMs >= fromMs);
  const first = covering[0];
  const latest = covering.at(-1);
  if (!first || !latest) return null;
  const counterDeltas: Record<string, number> = {};
  const drops = new Map<string, AgentSnapshot['drops'][number]>();
  for (const s of covering) {
    for (const [name, value] of Object.entries(s.counterDeltas))
      counterDeltas[name] = (counterDeltas[name] ?? 0) + value;
    for (const d of s.drops) {
      const key = `${d.reason}|${d.location ?? ''}|${d.family}|${d.port}|${d.peer ?? ''}`;
      const seen = drops.get(key);
      drops.set(key, seen ? { ...seen, count: seen.count + d.count } : { ...d });
    }
  }
  // The snapshot the span's deltas are counted from; without it, the first of the span (whose
  // rules' history is unknown: they count from there).
  const base = sorted.find((s) => s.atMs === first.sinceMs);
  const firewallDeltas: Record<string, number> = {};
  for (const rule of latest.firewall) {
    const key = firewallRuleKey(rule);
    const earlier = (base ?? first).firewall.find((r) => firewallRuleKey(r) === key);
    if (earlier) firewallDeltas[key] = Math.max(0, rule.packets - earlier.packets);
    else firewallDeltas[key] = base ? rule.packets : 0;
  }
  return {
    id: latest.agentId,
    span: { fromMs: first.sinceMs ?? fromMs, toMs: latest.atMs },
    counterDeltas,
    // The fullest each listener's queues were during the span: a queue that filled and drained
    // between snapshots still filled (and one that stayed empty throughout was healthy).
    listeners: latest.listeners.map((l) => {
      const same = covering.flatMap((x) =>
        x.listeners.filter((y) => y.family === l.family && y.address === l.address && y.port === l.port),
      );
      return {
        ...l,
        acceptQueue: Math.max(l.acceptQueue, ...same.map((y) => y.acceptQueue)),
        synRecv: Math.max(l.synRecv, ...same.map((y) => y.synRecv)),
      };
    }),
    // A next hop still unresolved (INCOMPLETE) is dead if it failed during the span, or has been
    // unresolved for longer than one resolution takes (3 probes, 1 s apart): the state flips
    // between the two, or stays INCOMPLETE, while the kernel keeps asking and nobody answers.
    routes: latest.routes.map((route) => {
      if (route.neighbour !== 'INCOMPLETE') return route;
      const states = covering.map(
        (x) =>
          [
            x.atMs,
            x.routes.find((r) => r.destination === route.destination && r.family === route.family)?.neighbour,
          ] as const,
      );
      const failed = states.some(([, state]) => state === 'FAILED');
      const lastResolved = states.filter(([, state]) => state !== 'INCOMPLETE' && state !== 'FAILED').at(-1)?.[0];
      const unresolvedSince = states.find(([at, state]) => state === 'INCOMPLETE' && at > (lastResolved ?? 0))?.[0];
      const stuck = unresolvedSince !== undefined && latest.atMs - unresolvedSince >= NEIGHBOUR_GIVE_UP_MS;
      return failed || stuck ? { ...route, neighbour: 'FAILED' } : route;
    }),
    sysctls: latest.sysctls,
    firewall: latest.firewall,
    firewallDeltas,
    drops: [...drops.values()],
    sources: latest.sources,
  };
}
