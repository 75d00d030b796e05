import { type Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { describeValue } from './config-fields.ts';
import { configErrorMap, configSchema } from './config-schema.ts';
import { deepFreeze } from './deep-freeze.ts';
import { resolveConfig } from './resolve-config.ts';
import { isRecord } from './salvage.ts';
import { suggestKey } from './suggest-key.ts';
import type { SynackConfig } from './synack-config.ts';

/**
 * One problem in a config. `line` and `column` are 1-based; both are 0 when the problem is not in
 * the file (then `file` is `environment` and `path` names the variable). `path` reads like
 * `targets[3].port`, and is empty for problems with the document as a whole.
 */
export type ConfigIssue = { file: string; line: number; column: number; path: string; message: string };

/** A validated, frozen config, or every issue found (never only the first). */
export type ConfigResult = { ok: true; config: SynackConfig } | { ok: false; issues: ConfigIssue[] };

type Path = readonly (string | number)[];

/** `synack.yaml:12:11 targets[3].port: expected 1..65535, got 70000`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  if (issue.line === 0) return `${issue.file} ${issue.path}: ${issue.message}`;
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** `['targets', 3, 'port']` -> `targets[3].port`; keys that are not plain words are quoted. */
export function formatPath(path: Path): string {
  let text = '';
  for (const step of path) {
    if (typeof step === 'number') text += `[${step}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(step)) text += text === '' ? step : `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text;
}

/**
 * Parses and validates a synack YAML config. Pure: the caller reads the file and passes the
 * environment (only SYNACK_REDIS_URL is used; it overrides `redis`). `file` only labels issues.
 * YAML syntax errors are reported alone, since checking a half-read document would mostly
 * report their echoes; otherwise every schema and cross-field issue is reported, by line.
 */
export function parseConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const lineCounter = new LineCounter();
  // prettyErrors appends a source excerpt to messages; the line and column are reported apart.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const issueAt = (offset: number, path: Path, message: string): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, path: formatPath(path), message };
  };
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) =>
      issueAt(
        error.pos[0],
        [],
        error.code === 'MULTIPLE_DOCS' ? 'expected one YAML document, found a second one after "---"' : error.message,
      ),
    );
    return { ok: false, issues };
  }

  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Only alias expansion can fail here (a "billion laughs" document).
    return { ok: false, issues: [issueAt(0, [], error instanceof Error ? error.message : String(error))] };
  }
  const startOffset = doc.contents?.range[0] ?? 0;
  if (root === null || root === undefined) {
    return {
      ok: false,
      issues: [issueAt(startOffset, [], 'the file is empty: expected a mapping with regions, allow and targets')],
    };
  }
  if (!isRecord(root)) {
    const message = `expected a mapping with regions, allow and targets, got ${describeValue(root)}`;
    return { ok: false, issues: [issueAt(startOffset, [], message)] };
  }

  const locate = (path: Path, atKey = false) => issueOffset(doc, path, atKey);
  const issues: ConfigIssue[] = [];
  const parsed = configSchema.safeParse(root, { error: configErrorMap });
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const path = issue.path.map((step) => (typeof step === 'symbol' ? String(step) : step));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const suggestion = suggestKey(path, key);
        const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
        issues.push(issueAt(locate([...path, key], true), [...path, key], `unknown key "${key}"${hint}`));
      }
    } else if (issue.code === 'invalid_key') {
      issues.push(issueAt(locate(path, true), path, issue.issues[0]?.message ?? issue.message));
    } else {
      issues.push(issueAt(locate(path), path, issue.message));
    }
  }

  const lineOf = (path: Path) => lineCounter.linePos(locate(path)).line;
  const resolved = resolveConfig(root, { file, env, lineOf });
  for (const issue of resolved.issues)
    issues.push(issueAt(locate(issue.path, issue.at === 'key'), issue.path, issue.message));
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  for (const issue of resolved.envIssues)
    issues.push({ file: 'environment', line: 0, column: 0, path: issue.name, message: issue.message });

  if (issues.length > 0) return { ok: false, issues };
  if (resolved.config === undefined) throw new Error('resolveConfig returned neither a config nor an issue');
  return { ok: true, config: deepFreeze(resolved.config) };
}

/**
 * The offset of the node at `path` (of its key, with `atKey`). When the path goes further than
 * the document, as for a missing key, this is the deepest node that exists: the parent mapping.
 */
export function issueOffset(doc: Document, path: Path, atKey: boolean): number {
  let node: unknown = doc.contents;
  let found: Node | null = isNode(node) ? node : null;
  for (const [index, step] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(step));
      if (pair === undefined) break;
      if ((atKey && index === path.length - 1) || !isNode(pair.value)) {
        if (isNode(pair.key)) found = pair.key;
        break;
      }
      node = pair.value;
      found = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step];
      if (!isNode(item)) break;
      node = item;
      found = item;
    } else {
      break;
    }
  }
  return found?.range?.[0] ?? 0;
}
