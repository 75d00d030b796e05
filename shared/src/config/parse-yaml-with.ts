import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { configErrorMap } from './config-schema.ts';
import { type ConfigIssue, formatPath, issueOffset } from './parse-config.ts';

/**
 * Parses one YAML document and validates it with `schema`. Pure. Every issue comes at once, each
 * with `file`, line, column and the field's path; unknown keys are named. For the small YAML files
 * beside the main config (agent configs, lab cases), whose checks fit one zod schema.
 */
export function parseYamlWith<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): { ok: true; value: z.output<S> } | { ok: false; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number, path: (string | number)[], message: string): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, path: formatPath(path), message };
  };
  if (doc.errors.length > 0) return { ok: false, issues: doc.errors.map((e) => at(e.pos[0], [], e.message)) };
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    return { ok: false, issues: [at(0, [], error instanceof Error ? error.message : String(error))] };
  }
  const parsed = schema.safeParse(root, { error: configErrorMap });
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues
      .map((issue) => {
        const path = issue.path.map((step) => (typeof step === 'symbol' ? String(step) : step));
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
        if (keys.length > 0)
          return at(
            issueOffset(doc, [...path, keys[0] as string], true),
            [...path, keys[0] as string],
            `unknown key "${keys[0]}"`,
          );
        return at(issueOffset(doc, path, false), path, issue.message);
      })
      .sort((x, y) => x.line - y.line || x.column - y.column),
  };
}
