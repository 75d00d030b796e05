import { generateSigningKey } from '@synack/shared/signing-key';
import { AgentHeader, createAgentRequestSigner } from '@synack/shared/wire/agent-request-signature';
import { describe, expect, it } from 'vitest';
import { type AgentHttpRequest, authenticateAgent } from './agent-auth.ts';

const NOW = 1_763_900_000_000;
const key = generateSigningKey();
const agents = [{ id: 'srv-1', publicKey: key.publicKey, targets: ['web'] }];

function request(headers: Record<string, string>, body = '{}'): AgentHttpRequest {
  return {
    method: 'POST',
    pathWithQuery: '/v1/agent/snapshots',
    body: new TextEncoder().encode(body),
    header: (name) => headers[name],
  };
}

describe('authenticateAgent', () => {
  it('accepts a signed request once, and refuses it replayed', async () => {
    const seen = new Set<string>();
    const firstSeen = async (signature: string) => !seen.has(signature) && Boolean(seen.add(signature));
    const headers = createAgentRequestSigner('srv-1', key.privateKey, () => NOW).headers({
      method: 'POST',
      pathWithQuery: '/v1/agent/snapshots',
      body: new TextEncoder().encode('{}'),
    });
    const first = await authenticateAgent(agents, request(headers), NOW, firstSeen);
    expect(first.ok && first.agent.id).toBe('srv-1');
    expect(await authenticateAgent(agents, request(headers), NOW, firstSeen)).toEqual({
      ok: false,
      reason: 'replayed',
      claimed: 'srv-1',
    });
  });

  it('does not spend a replay slot on a request that fails its signature', async () => {
    let asked = 0;
    const firstSeen = async () => {
      asked++;
      return true;
    };
    const headers = createAgentRequestSigner('srv-1', key.privateKey, () => NOW).headers({
      method: 'POST',
      pathWithQuery: '/v1/agent/snapshots',
      body: new TextEncoder().encode('{}'),
    });
    expect(await authenticateAgent(agents, request(headers, '{"x":1}'), NOW, firstSeen)).toMatchObject({
      reason: 'bad_signature',
    });
    expect(await authenticateAgent(agents, request({ authorization: 'Bearer x' }), NOW, firstSeen)).toMatchObject({
      reason: 'missing_headers',
      claimed: null,
    });
    expect(
      await authenticateAgent(
        agents,
        request({ ...headers, [AgentHeader.timestamp]: String(NOW - 600_000) }),
        NOW,
        firstSeen,
      ),
    ).toMatchObject({ reason: 'skewed' });
    expect(asked).toBe(0);
  });
});
