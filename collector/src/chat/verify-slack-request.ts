import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a request failed verification (for the audit log only; the requester gets a bare 401). */
export type SlackRejection = 'missing_headers' | 'malformed' | 'stale' | 'future' | 'bad_signature';

/** Slack's window: requests older than 5 minutes are refused, so a captured one cannot be replayed later. */
export const SLACK_TOLERANCE_S = 300;

/**
 * Verifies a Slack request as Slack specifies: `v0=` + hex HMAC-SHA256 over
 * `v0:{X-Slack-Request-Timestamp}:{raw body}` with the signing secret, compared in constant time,
 * and a timestamp within 5 minutes of now (either way). Pure: `nowMs` is passed in. Replays inside
 * the window are the caller's to catch (the signature is unique per request).
 */
export function verifySlackRequest(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowMs: number;
}): { ok: true } | { ok: false; reason: SlackRejection } {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^[0-9]{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature))
    return { ok: false, reason: 'malformed' };
  const skewS = Math.floor(input.nowMs / 1000) - Number(timestamp);
  if (skewS > SLACK_TOLERANCE_S) return { ok: false, reason: 'stale' };
  if (skewS < -SLACK_TOLERANCE_S) return { ok: false, reason: 'future' };
  const expected = createHmac('sha256', input.secret).update(`v0:${timestamp}:${input.rawBody}`).digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}

/** Signs a body as Slack does (for tests and tools that play Slack). */
export function signSlackRequest(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}
