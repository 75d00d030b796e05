import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import type { AgentConfig } from '../config/synack-config.ts';
import { publicKeyOf } from '../signing-key.ts';

/** Prefixed to what an agent signs, so its signature can never pass for another synack signature. */
export const AGENT_SIGNATURE_DOMAIN = 'synack-agent-v1\n';

/** The headers of a signed agent request. */
export const AgentHeader = {
  /** The agent's id, as in the collector's `agents:`. */
  agent: 'x-synack-agent',
  /** When it was signed: epoch milliseconds, decimal. */
  timestamp: 'x-synack-timestamp',
  /** Base64 Ed25519 signature over `agentSignedText`. */
  signature: 'x-synack-signature',
} as const;

/** A request whose timestamp is further than this from the collector's clock is refused. */
export const AGENT_MAX_SKEW_MS = 300_000;

/** What an agent signs of a request. `pathWithQuery` is the URL's path and query as sent (`/v1/agent/wait?timeoutMs=25000`). */
export type AgentRequest = { method: string; pathWithQuery: string; body: Uint8Array };

/**
 * The signed text: the domain, the method, the path with its query, the timestamp and the hex
 * SHA-256 of the raw body, one per line. The body's hash binds the snapshot; the timestamp and
 * the collector's memory of seen signatures stop replays.
 */
export function agentSignedText(request: AgentRequest, timestamp: string, agentId: string): string {
  const bodySha256 = createHash('sha256').update(request.body).digest('hex');
  // The agent's id is signed too: with it outside, one agent's request could be relabelled as another's.
  return `${AGENT_SIGNATURE_DOMAIN}${agentId}\n${request.method.toUpperCase()}\n${request.pathWithQuery}\n${timestamp}\n${bodySha256}`;
}

/** Signs an agent's requests with its private key (held here, never shown). */
export type AgentRequestSigner = { headers(request: AgentRequest): Record<string, string> };

export function createAgentRequestSigner(
  agentId: string,
  privateKey: KeyObject,
  now: () => number = Date.now,
): AgentRequestSigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw new TypeError('an agent signer needs an Ed25519 private key');
  return {
    headers(request) {
      const timestamp = String(Math.round(now()));
      const signature = sign(null, Buffer.from(agentSignedText(request, timestamp, agentId)), privateKey).toString(
        'base64',
      );
      return { [AgentHeader.agent]: agentId, [AgentHeader.timestamp]: timestamp, [AgentHeader.signature]: signature };
    },
  };
}

/** Why an agent request was refused: logged for audit, never sent back. */
export type AgentAuthFailure =
  | 'missing_headers'
  | 'unknown_agent'
  | 'bad_timestamp'
  | 'skewed'
  | 'bad_signature'
  | 'replayed';

export type AgentAuthResult =
  | { ok: true; agent: AgentConfig; signature: string }
  /** `claimed`: the agent id the request named, when it is a well-formed id; for the audit log. */
  | { ok: false; reason: AgentAuthFailure; claimed: string | null };

const AGENT_ID = /^[a-z0-9-]{1,63}$/;
const TIMESTAMP = /^\d{1,15}$/;
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

/**
 * Checks a request's agent signature against that agent's configured public key and the clock.
 * Pure apart from the signature maths; never throws. Replays within the clock window are the
 * caller's to refuse (it remembers `signature`, shared by every collector).
 */
export function verifyAgentRequest(
  agents: readonly AgentConfig[],
  header: (name: string) => string | undefined,
  request: AgentRequest,
  nowMs: number,
): AgentAuthResult {
  const id = header(AgentHeader.agent);
  const timestamp = header(AgentHeader.timestamp);
  const signature = header(AgentHeader.signature);
  const claimed = id !== undefined && AGENT_ID.test(id) ? id : null;
  const fail = (reason: AgentAuthFailure): AgentAuthResult => ({ ok: false, reason, claimed });
  if (id === undefined || timestamp === undefined || signature === undefined) return fail('missing_headers');
  const agent = agents.find((candidate) => candidate.id === id);
  if (!agent) return fail('unknown_agent');
  if (!TIMESTAMP.test(timestamp)) return fail('bad_timestamp');
  if (Math.abs(nowMs - Number(timestamp)) > AGENT_MAX_SKEW_MS) return fail('skewed');
  if (!SIGNATURE.test(signature)) return fail('bad_signature');
  // One signature, one spelling: base64 leaves spare bits in its last character, and a respelled
  // signature must not pass the replay check as a new one.
  if (Buffer.from(signature, 'base64').toString('base64') !== signature) return fail('bad_signature');
  let good = false;
  try {
    good = verify(
      null,
      Buffer.from(agentSignedText(request, timestamp, id)),
      publicKeyOf(agent.publicKey),
      Buffer.from(signature, 'base64'),
    );
  } catch {
    good = false;
  }
  return good ? { ok: true, agent, signature } : fail('bad_signature');
}
