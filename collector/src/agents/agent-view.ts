import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import type { DiagnosisInput } from '../diagnosis/diagnosis-input.ts';

/**
 * One agent's view of a window, from its snapshots (oldest first): counter deltas and drop counts
 * summed over the snapshots taken in the window, firewall rule counters as the increase across
 * it, and the latest listeners, route lookups, sysctls and source states. Pure. `null` when no
 * snapshot falls in the window.
 */
export function agentView(
  snapshots: readonly AgentSnapshot[],
  fromMs: number,
  toMs: number,
): NonNullable<DiagnosisInput['agent']> | null {
  const inWindow = snapshots.filter((s) => s.atMs > fromMs && s.atMs <= toMs).sort((a, b) => a.atMs - b.atMs);
  const latest = inWindow.at(-1);
  if (!latest) return null;
  const counterDeltas: Record<string, number> = {};
  for (const s of inWindow) {
    for (const [name, value] of Object.entries(s.counterDeltas))
      counterDeltas[name] = (counterDeltas[name] ?? 0) + value;
  }
  // The firewall counts from just before the window (or its first snapshot) to the latest.
  const before =
    snapshots
      .filter((s) => s.atMs <= fromMs)
      .sort((a, b) => a.atMs - b.atMs)
      .at(-1) ?? inWindow[0];
  const firewallDeltas: Record<number, number> = {};
  for (const rule of latest.firewall) {
    const earlier = before?.firewall.find(
      (r) => r.handle === rule.handle && r.table === rule.table && r.family === rule.family,
    );
    firewallDeltas[rule.handle] = earlier && earlier !== rule ? Math.max(0, rule.packets - earlier.packets) : 0;
  }
  const drops = new Map<string, AgentSnapshot['drops'][number]>();
  for (const s of inWindow) {
    for (const d of s.drops) {
      const key = `${d.reason}|${d.location ?? ''}|${d.family}|${d.port}|${d.peer ?? ''}`;
      const seen = drops.get(key);
      drops.set(key, seen ? { ...seen, count: seen.count + d.count } : { ...d });
    }
  }
  return {
    id: latest.agentId,
    counterDeltas,
    listeners: latest.listeners,
    routes: latest.routes,
    sysctls: latest.sysctls,
    firewall: latest.firewall,
    firewallDeltas,
    drops: [...drops.values()],
    sources: latest.sources,
  };
}
