import { createHash, timingSafeEqual } from 'node:crypto';
import type { AgentConfig } from '@synack/shared/config/synack-config';

/**
 * The agent a bearer token belongs to, or `null`. The config holds only SHA-256 digests; the
 * comparison is constant-time, and every configured agent is compared, so neither the timing nor
 * the order tells which one almost matched.
 */
export function authenticateAgent(
  agents: readonly AgentConfig[],
  authorization: string | undefined,
): AgentConfig | null {
  const token = /^Bearer ([\x21-\x7e]{16,512})$/.exec(authorization ?? '')?.[1];
  if (!token) return null;
  const digest = createHash('sha256').update(token).digest();
  let found: AgentConfig | null = null;
  for (const agent of agents) {
    const expected = Buffer.from(agent.tokenSha256, 'hex');
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) found = agent;
  }
  return found;
}
