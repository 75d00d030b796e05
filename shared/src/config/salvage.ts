import type { z } from 'zod';

/** The valid fields of an object, the keys of the invalid ones, and whether it is valid as a whole. */
export type Part<T> = { value: Partial<T>; invalid: ReadonlySet<string>; complete: boolean };

/** A YAML mapping, as plain data. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses each field of an object on its own, so that one bad field does not hide the checks that
 * the others allow (a target with a bad port still gets its regions checked). An absent optional
 * section is complete and empty.
 */
export function salvage<S extends z.ZodObject>(schema: S, raw: unknown): Part<z.output<S>> {
  if (raw === undefined) return { value: {}, invalid: new Set(), complete: true };
  const record = isRecord(raw) ? raw : {};
  const value: Record<string, unknown> = {};
  const invalid = new Set<string>();
  for (const [key, fieldSchema] of Object.entries(schema.shape)) {
    const result = (fieldSchema as z.ZodType).safeParse(record[key]);
    if (!result.success) invalid.add(key);
    else if (result.data !== undefined) value[key] = result.data;
  }
  return { value: value as Partial<z.output<S>>, invalid, complete: isRecord(raw) && invalid.size === 0 };
}
