import type { KeyObject } from 'node:crypto';
import { generateSigningKey } from '@synack/shared/signing-key';
import { AgentHeader, createAgentRequestSigner } from '@synack/shared/wire/agent-request-signature';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type collector, startPipeline, testConfig } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { waitForAsync } from './support/wait-for.ts';

const AGENT_KEY = generateSigningKey();
const OTHER_KEY = generateSigningKey();

// The collector's agent side with real Redis and real probes: an agent signs each request with its
// own key, is asked for a fresh snapshot when its target fails, and what it reports decides the
// verdict (here: RSTs with no listener in the snapshot → port_closed, which probes alone cannot tell).
describe('agents: snapshots in, requests out, verdicts from their evidence', () => {
  let redis: TestRedis;
  let api: Awaited<ReturnType<typeof collector>>;
  let port: number;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    port = await closedPort();
    const config = testConfig(
      `regions: [r1]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
agents:
  - { id: web-host, public_key: "${AGENT_KEY.publicKey.key}", targets: [web] }
targets:
  - { name: web, address: 127.0.0.1, port: ${port} }
`,
      redis.url,
    );
    api = await startPipeline(config, [['r1', 'r1-a']], stops);
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await redis?.cleanup();
  });

  /** Signed headers for a request, as the agent makes them (`key`, at `atMs`). */
  const sign = (method: string, path: string, body = '', key: KeyObject = AGENT_KEY.privateKey, atMs = Date.now()) =>
    createAgentRequestSigner('web-host', key, () => atMs).headers({
      method,
      pathWithQuery: path,
      body: new TextEncoder().encode(body),
    });
  const send = (path: string, headers: Record<string, string>, body?: string) =>
    fetch(`${api.handle.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
  const call = (path: string, init: { method?: 'POST'; body?: string } = {}) =>
    send(path, sign(init.method ?? 'GET', path, init.body ?? ''), init.body);
  const unauthorized = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'SYNACK_ERR_UNAUTHORIZED', message: 'unauthorized' } });
  };

  it('refuses, with a bare 401, requests signed badly, by another key, long ago, or again', async () => {
    const path = '/v1/agent/wait?timeoutMs=0';
    await unauthorized(await send(path, { authorization: 'Bearer agent-token-for-the-web-server' }));
    await unauthorized(await send(path, sign('GET', path, '', OTHER_KEY.privateKey)));
    await unauthorized(await send(path, sign('GET', path, '', AGENT_KEY.privateKey, Date.now() - 360_000)));
    await unauthorized(await send(path, sign('GET', '/v1/agent/wait?timeoutMs=1')));
    await unauthorized(
      await send(path, {
        ...sign('GET', path),
        [AgentHeader.signature]: sign('GET', path, 'x')[AgentHeader.signature] as string,
      }),
    );
    // A snapshot body changed after signing.
    const body = JSON.stringify({ agentId: 'web-host' });
    await unauthorized(await send('/v1/agent/snapshots', sign('POST', '/v1/agent/snapshots', body), `${body} `));
    // A good request is answered once; the same bytes sent again are a replay.
    const headers = sign('GET', path);
    expect((await send(path, headers)).status).toBe(200);
    await unauthorized(await send(path, headers));
  });

  it('asks the agent for a snapshot when its target fails, and names the cause from it', async () => {
    // Without the agent's word, RST is a closed port or a forged reset: unknown.
    const current = async () =>
      (
        await api.get<{ current: { verdict: string; status: string; evidence: { source: string }[] }[] }>(
          '/v1/diagnoses?target=web',
        )
      ).current[0];
    await waitForAsync(async () => (await current())?.status === 'open', 15_000, 'a diagnosis to open');
    expect((await current())?.verdict).toBe('unknown');
    const wait = (await (await call('/v1/agent/wait?timeoutMs=10000')).json()) as {
      snapshotWanted: boolean;
      watch: { ports: number[]; runners: { regions: string[] }[] };
    };
    expect(wait.snapshotWanted).toBe(true);
    expect(wait.watch.ports).toEqual([port]);
    const now = Date.now();
    const snapshot: AgentSnapshot = {
      v: 1,
      agentId: 'web-host',
      host: 'web-1',
      atMs: now,
      sinceMs: now - 1000,
      trigger: 'requested',
      seq: 1,
      counterDeltas: { TcpOutRsts: 3, TcpPassiveOpens: 0 },
      listeners: [],
      routes: [],
      sysctls: {},
      firewall: [],
      drops: [],
      sources: [{ source: '/proc/net/netstat', ok: true }],
    };
    const posted = await call('/v1/agent/snapshots', { method: 'POST', body: JSON.stringify(snapshot) });
    expect(posted.status).toBe(200);
    // Then a snapshot a second, as an agent does, until the server's view spans a failed attempt.
    let last = snapshot;
    await waitForAsync(
      async () => {
        if ((await current())?.verdict === 'port_closed') return true;
        if (Date.now() - last.atMs >= 1000) {
          last = { ...last, sinceMs: last.atMs, atMs: Date.now(), seq: last.seq + 1 };
          const next = await call('/v1/agent/snapshots', { method: 'POST', body: JSON.stringify(last) });
          expect(next.status).toBe(200);
        }
        return false;
      },
      15_000,
      'port_closed from the snapshots',
    );
    expect((await current())?.evidence.some((e) => e.source === 'agent:web-host listeners')).toBe(true);
    // A snapshot claiming another agent's id is refused.
    const spoof = await call('/v1/agent/snapshots', {
      method: 'POST',
      body: JSON.stringify({ ...snapshot, agentId: 'other' }),
    });
    expect(spoof.status).toBe(400);
  });
});
