import { z } from 'zod';
import { configSchema } from './config-schema.ts';

/** The schema under `path` (list indexes and record keys step into their items), or undefined. */
function schemaAt(path: readonly (string | number)[]): unknown {
  let schema: unknown = configSchema;
  for (const step of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[String(step)];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else return undefined;
  }
  return unwrap(schema);
}

function unwrap(schema: unknown): unknown {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodPipe) {
    inner = inner instanceof z.ZodOptional ? inner.unwrap() : inner.in;
  }
  return inner;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * The key the author probably meant when writing `key` in the mapping at `path`: a known key
 * there within two edits (`intervall`; one for short keys), or equal once case and `-`/`_` are ignored
 * (`failing-interval`). Undefined when nothing is close.
 */
export function suggestKey(path: readonly (string | number)[], key: string): string | undefined {
  const schema = schemaAt(path);
  if (!(schema instanceof z.ZodObject)) return undefined;
  const fold = (text: string) => text.toLowerCase().replaceAll('-', '_');
  // Two edits turn most short words into each other; allow one below five letters.
  const limit = key.length < 5 ? 1 : 2;
  let best: { key: string; cost: number } | undefined;
  for (const known of Object.keys(schema.shape)) {
    const cost = fold(known) === fold(key) ? 0 : distance(known, key);
    if (cost <= limit && (best === undefined || cost < best.cost)) best = { key: known, cost };
  }
  return best?.key;
}
