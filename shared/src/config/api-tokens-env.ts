import type { ApiScope, ApiTokenConfig } from './synack-config.ts';

const ENTRY = /^([a-z0-9-]{1,63}):((?:read|probe|admin)(?:\+(?:read|probe|admin))*):([0-9a-f]{64})$/;

/**
 * API tokens from SYNACK_API_TOKENS: entries `name:scope+scope:sha256hex`, separated by commas or
 * white space (`oncall:read+probe:9f86…`). Only digests: the variable is as safe to show as the
 * file. Unset or blank gives none. A bad entry is reported by its position, never echoed (a
 * pasted raw token must not land in a log).
 */
export function apiTokensFromEnv(
  text: string | undefined,
): { ok: true; tokens: ApiTokenConfig[] } | { ok: false; message: string } {
  const entries = (text ?? '').split(/[\s,]+/).filter((entry) => entry.length > 0);
  const tokens: ApiTokenConfig[] = [];
  for (const [index, entry] of entries.entries()) {
    const match = ENTRY.exec(entry);
    if (!match) {
      return {
        ok: false,
        message: `entry ${index + 1} is not name:scopes:sha256 (scopes read, probe, admin joined by "+"; the SHA-256 in 64 lower-case hex digits)`,
      };
    }
    const name = match[1] as string;
    if (tokens.some((token) => token.name === name))
      return { ok: false, message: `entry ${index + 1}: duplicate token name "${name}"` };
    const scopes = [...new Set((match[2] as string).split('+'))] as ApiScope[];
    tokens.push({ name, sha256: match[3] as string, scopes, from: 'environment' });
  }
  return { ok: true, tokens };
}
