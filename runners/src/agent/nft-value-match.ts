/** Looks up a named set's (or map's) elements in the rule's table. */
export type SetLookup = (name: string) => unknown[] | undefined;

/**
 * Whether `value` passes an nft JSON match `<left> <op> <right>`: a number or name (`8080`,
 * `tcp`), an anonymous set, a range, a named set (`@webports`) or map, with `==`, `in`, `!=`,
 * `<`, `>`, `<=`, `>=`. `undefined` when the right side or the operator cannot be read here
 * (prefixes, concatenations, bitmasks): callers treat it as "may match".
 */
export function nftMatches(
  op: unknown,
  right: unknown,
  value: number | string,
  lookup: SetLookup,
): boolean | undefined {
  const found = contains(right, value, lookup);
  switch (op) {
    case undefined:
    case '==':
    case 'in':
      return found;
    case '!=':
      return found === undefined ? undefined : !found;
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (typeof right !== 'number' || typeof value !== 'number') return undefined;
      return op === '<' ? value < right : op === '>' ? value > right : op === '<=' ? value <= right : value >= right;
    }
    default:
      return undefined;
  }
}

function contains(right: unknown, value: number | string, lookup: SetLookup): boolean | undefined {
  if (typeof right === 'number') return right === value;
  if (typeof right === 'string') {
    if (right.startsWith('@')) {
      const elements = lookup(right.slice(1));
      return elements === undefined ? undefined : anyContains(elements, value, lookup);
    }
    return right === value;
  }
  if (Array.isArray(right)) return anyContains(right, value, lookup);
  if (!isObject(right)) return undefined;
  if (Array.isArray(right.set)) return anyContains(right.set, value, lookup);
  if (right.set !== undefined) return contains(right.set, value, lookup);
  if (Array.isArray(right.range) && typeof value === 'number') {
    const [low, high] = right.range;
    return typeof low === 'number' && typeof high === 'number' ? value >= low && value <= high : undefined;
  }
  if (isObject(right.elem)) return contains(right.elem.val, value, lookup);
  return undefined;
}

function anyContains(elements: readonly unknown[], value: number | string, lookup: SetLookup): boolean | undefined {
  let unknown = false;
  for (const element of elements) {
    // A map element is [key, data]; the key is what is matched.
    const found = contains(Array.isArray(element) ? element[0] : element, value, lookup);
    if (found) return true;
    if (found === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
