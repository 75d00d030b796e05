/**
 * The state of the neighbour entry in `ip -j neigh show to <address> dev <dev>`: REACHABLE,
 * STALE, DELAY, PROBE, INCOMPLETE, FAILED, PERMANENT, NOARP (several are joined with `,`), or
 * `NONE` when the kernel has no entry (nothing was sent there lately). `undefined` for output that
 * is not such JSON.
 */
export function parseNeighbourState(stdout: string): string | undefined {
  let entries: unknown;
  try {
    entries = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!Array.isArray(entries)) return undefined;
  const entry: unknown = entries[0];
  if (entry === undefined) return 'NONE';
  const state = typeof entry === 'object' && entry !== null ? (entry as { state?: unknown }).state : undefined;
  if (!Array.isArray(state) || state.length === 0) return 'NONE';
  return state
    .filter((item): item is string => typeof item === 'string')
    .join(',')
    .slice(0, 32);
}
