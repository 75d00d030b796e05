/**
 * A target's offset inside its interval: FNV-1a of its name, so it is the same on every scheduler
 * and across restarts and reloads, and targets spread evenly over the interval instead of all
 * firing on its boundary (what plain `every` Job Schedulers do).
 */
export function targetOffsetMs(name: string, intervalMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % intervalMs;
}
