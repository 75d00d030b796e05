/**
 * Freezes `value` and everything reachable from it, so no consumer can change a shared config.
 * An object that is already frozen is taken to be deeply frozen (this also ends cycles).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}
