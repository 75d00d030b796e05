/**
 * Whether a successful attempt is traced at `ratio` (0..1): decided by the attempt id, so every
 * collector (and a redelivered batch) decides the same. Ids are UUIDs whose first 32 bits are
 * random (runners make version 8 with a random prefix). Pure.
 */
export function keepSuccess(attemptId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  const head = Number.parseInt(attemptId.replace(/-/g, '').slice(0, 8), 16);
  if (!Number.isFinite(head)) return true;
  return head / 0x1_0000_0000 < ratio;
}
