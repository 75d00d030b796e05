import { createHash } from 'node:crypto';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type collector, startPipeline, testConfig } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { waitForAsync } from './support/wait-for.ts';

const TOKEN = 'agent-token-for-the-web-server';

// The collector's agent side with real Redis and real probes: an agent authenticates with its own
// token, is asked for a fresh snapshot when its target fails, and what it reports decides the
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
  - { id: web-host, token_sha256: ${createHash('sha256').update(TOKEN).digest('hex')}, targets: [web] }
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

  const call = (path: string, init: RequestInit = {}, token = TOKEN) =>
    fetch(`${api.handle.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });

  it('refuses a wrong token with a bare 401', async () => {
    const response = await call('/v1/agent/wait?timeoutMs=0', {}, 'not-the-token-of-anyone');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'SYNACK_ERR_UNAUTHORIZED', message: 'unauthorized' } });
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
