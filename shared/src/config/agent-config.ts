import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { checkDuration, checkPattern, checkPatternUnshown, describeValue } from './config-fields.ts';
import { field, NAME } from './config-schema.ts';
import { deepFreeze } from './deep-freeze.ts';
import type { ConfigIssue } from './parse-config.ts';
import { parseYamlWith } from './parse-yaml-with.ts';

/** A host agent's own configuration (`synack agent --config F`). */
export type AgentFileConfig = {
  file: string;
  id: string;
  /** The collector API base URL. */
  collectorUrl: string;
  /**
   * The Ed25519 private key the agent signs its requests with: from `key_file`, or
   * SYNACK_AGENT_KEY (PEM text, which wins). Its public half goes in the collector's `agents:`.
   */
  key: KeyObject;
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
    key_file: field(
      checkPatternUnshown(/^\/.+/, 'an absolute path to the PKCS#8 PEM private key (synack keygen --out FILE)'),
    ).optional(),
    interval: field(checkDuration(1000)).optional(),
    buffer: z.number().int().min(1).max(100_000).optional(),
  }),
});

export type AgentConfigResult =
  | { ok: true; config: Omit<AgentFileConfig, 'key'> & { keyFile: string | null } }
  | { ok: false; issues: ConfigIssue[] };

/**
 * Parses an agent config. Pure: the key itself is read by `loadAgentConfig` (from
 * SYNACK_AGENT_KEY or `key_file`); every issue is reported at once with its line.
 */
export function parseAgentConfig(text: string, file: string): AgentConfigResult {
  const parsed = parseYamlWith(text, file, schema);
  if (!parsed.ok) return parsed;
  const a = parsed.value.agent;
  return {
    ok: true,
    config: deepFreeze({
      file,
      id: a.id,
      collectorUrl: a.collector,
      keyFile: a.key_file ?? null,
      intervalMs: a.interval ?? 10_000,
      bufferSize: a.buffer ?? 360,
    }),
  };
}
