import type { AgentConfig } from '@synack/shared/config/synack-config';
import {
  type AgentAuthResult,
  type AgentRequest,
  verifyAgentRequest,
} from '@synack/shared/wire/agent-request-signature';

/** An agent's HTTP request as the collector sees it: what was signed, and its headers. */
export type AgentHttpRequest = AgentRequest & { header: (name: string) => string | undefined };

/**
 * The agent that signed `request`, or why not. The signature is checked against that agent's
 * configured public key and the clock (5 minutes either way), then `firstSeen` must confirm it was
 * never used before (remembered across collectors for longer than the clock window), so a
 * captured request cannot be sent again.
 */
export async function authenticateAgent(
  agents: readonly AgentConfig[],
  request: AgentHttpRequest,
  nowMs: number,
  firstSeen: (signature: string) => Promise<boolean>,
): Promise<AgentAuthResult> {
  const result = verifyAgentRequest(agents, request.header, request, nowMs);
  if (!result.ok) return result;
  if (!(await firstSeen(result.signature))) return { ok: false, reason: 'replayed', claimed: result.agent.id };
  return result;
}
