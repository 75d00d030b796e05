import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../config/synack-config.ts';
import { generateSigningKey } from '../signing-key.ts';
import {
  AgentHeader,
  type AgentRequest,
  agentSignedText,
  createAgentRequestSigner,
  verifyAgentRequest,
} from './agent-request-signature.ts';

const NOW = 1_763_900_000_000;
const web = generateSigningKey();
const other = generateSigningKey();
const agents: AgentConfig[] = [
  { id: 'web-1', publicKey: web.publicKey, targets: ['web'] },
  { id: 'db-1', publicKey: other.publicKey, targets: ['db'] },
];
const body = new TextEncoder().encode('{"agentId":"web-1","seq":1}');
const snapshot: AgentRequest = { method: 'POST', pathWithQuery: '/v1/agent/snapshots', body };

const signed = (request: AgentRequest, atMs = NOW, key = web.privateKey, id = 'web-1') =>
  createAgentRequestSigner(id, key, () => atMs).headers(request);
const check = (headers: Record<string, string>, request: AgentRequest = snapshot, nowMs = NOW) =>
  verifyAgentRequest(agents, (name) => headers[name], request, nowMs);

describe('agent request signatures', () => {
  it('signs method, path with query, timestamp and the body hash, and verifies against the agent key', () => {
    const headers = signed(snapshot);
    expect(Object.keys(headers).sort()).toEqual(['x-synack-agent', 'x-synack-signature', 'x-synack-timestamp']);
    expect(headers[AgentHeader.timestamp]).toBe(String(NOW));
    const result = check(headers);
    expect(result.ok && result.agent.id).toBe('web-1');
    expect(result.ok && result.signature).toBe(headers[AgentHeader.signature]);
    expect(agentSignedText(snapshot, String(NOW), 'web-1')).toBe(
      `synack-agent-v1\nweb-1\nPOST\n/v1/agent/snapshots\n${NOW}\n${createHash('sha256').update(body).digest('hex')}`,
    );
    // Another spelling of the same signature (the spare bits of the last base64 character) is refused.
    const sig = headers[AgentHeader.signature] as string;
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const i = last.indexOf(sig.at(-3) as string);
    const respelled = `${sig.slice(0, -3)}${last[i ^ 1]}${sig.slice(-2)}`;
    expect(Buffer.from(respelled, 'base64')).toEqual(Buffer.from(sig, 'base64'));
    expect(check({ ...headers, [AgentHeader.signature]: respelled })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a changed body, path, query or method', () => {
    const headers = signed(snapshot);
    const changed: AgentRequest[] = [
      { ...snapshot, body: new TextEncoder().encode('{"agentId":"web-1","seq":2}') },
      { ...snapshot, pathWithQuery: '/v1/agent/snapshots?x=1' },
      { ...snapshot, method: 'PUT' },
    ];
    for (const request of changed)
      expect(check(headers, request)).toMatchObject({ ok: false, reason: 'bad_signature' });
    const wait = { method: 'GET', pathWithQuery: '/v1/agent/wait?timeoutMs=25000', body: new Uint8Array() };
    expect(check(signed(wait), { ...wait, pathWithQuery: '/v1/agent/wait?timeoutMs=1' })).toMatchObject({
      reason: 'bad_signature',
    });
  });

  it("refuses another agent's key, an unknown agent and missing headers, naming the claimed id", () => {
    expect(check(signed(snapshot, NOW, other.privateKey))).toEqual({
      ok: false,
      reason: 'bad_signature',
      claimed: 'web-1',
    });
    expect(check(signed(snapshot, NOW, web.privateKey, 'ghost'))).toEqual({
      ok: false,
      reason: 'unknown_agent',
      claimed: 'ghost',
    });
    const { [AgentHeader.signature]: _dropped, ...unsigned } = signed(snapshot);
    expect(check(unsigned)).toMatchObject({ ok: false, reason: 'missing_headers' });
    expect(check({ ...signed(snapshot), [AgentHeader.agent]: 'Not An Id\n' })).toMatchObject({ claimed: null });
  });

  it('refuses timestamps more than 5 minutes off, and malformed ones', () => {
    expect(check(signed(snapshot, NOW - 300_000)).ok).toBe(true);
    expect(check(signed(snapshot, NOW + 300_000)).ok).toBe(true);
    expect(check(signed(snapshot, NOW - 300_001))).toMatchObject({ reason: 'skewed' });
    expect(check(signed(snapshot, NOW + 300_001))).toMatchObject({ reason: 'skewed' });
    expect(check({ ...signed(snapshot), [AgentHeader.timestamp]: '1e12' })).toMatchObject({ reason: 'bad_timestamp' });
    expect(check({ ...signed(snapshot), [AgentHeader.signature]: 'AAAA' })).toMatchObject({ reason: 'bad_signature' });
  });
});
