import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { checkDuration, checkPattern, describeValue } from './config-fields.ts';
import { configErrorMap, field, NAME } from './config-schema.ts';
import { deepFreeze } from './deep-freeze.ts';
import { type ConfigIssue, formatPath, issueOffset } from './parse-config.ts';

/** A host agent's own configuration (`synack agent --config F`). */
export type AgentFileConfig = {
  file: string;
  id: string;
  /** The collector API base URL. */
  collectorUrl: string;
  /** From `token_file`, or SYNACK_AGENT_TOKEN (which wins). Never logged. */
  token: string;
  /** Periodic snapshots. Default 10 s, at least 1 s. */
  intervalMs: number;
  /** Snapshots kept while the collector is away. Default 360. */
  bufferSize: number;
};

const schema = z.strictObject({
  agent: z.strictObject({
    id: field(checkPattern(NAME, 'an agent id: 1..63 characters of a-z, 0-9 and "-"')),
    collector: field((input: unknown) => {
      if (typeof input === 'string' && URL.canParse(input) && /^https?:$/.test(new URL(input).protocol))
        return { ok: true as const, value: input };
      return {
        ok: false as const,
        message: `expected the collector's http:// or https:// URL, got ${describeValue(input)}`,
      };
    }),
    token_file: field(checkPattern(/^\/.+/, 'an absolute path to the file holding the token')).optional(),
    interval: field(checkDuration(1000)).optional(),
    buffer: z.number().int().min(1).max(100_000).optional(),
  }),
});

export type AgentConfigResult =
  | { ok: true; config: Omit<AgentFileConfig, 'token'> & { tokenFile: string | null } }
  | { ok: false; issues: ConfigIssue[] };

/**
 * Parses an agent config. Pure: the token itself is read by `loadAgentConfig` (from
 * SYNACK_AGENT_TOKEN or `token_file`); every issue is reported at once with its line.
 */
export function parseAgentConfig(text: string, file: string): AgentConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number, path: (string | number)[], message: string): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, path: formatPath(path), message };
  };
  if (doc.errors.length > 0) return { ok: false, issues: doc.errors.map((e) => at(e.pos[0], [], e.message)) };
  const parsed = schema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {}, { error: configErrorMap });
  if (!parsed.success) {
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
  const a = parsed.data.agent;
  return {
    ok: true,
    config: deepFreeze({
      file,
      id: a.id,
      collectorUrl: a.collector,
      tokenFile: a.token_file ?? null,
      intervalMs: a.interval ?? 10_000,
      bufferSize: a.buffer ?? 360,
    }),
  };
}
