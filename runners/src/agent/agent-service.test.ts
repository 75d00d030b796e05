import { generateSigningKey } from '@synack/shared/signing-key';
import { createAgentRequestSigner, verifyAgentRequest } from '@synack/shared/wire/agent-request-signature';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AgentService, type AgentWatch } from './agent-service.ts';

const logger = pino({ level: 'silent' });
const watch: AgentWatch = { ports: [443], runners: [{ address: '10.1.0.2', family: 'v4', regions: ['a'] }] };
const key = generateSigningKey();
const agents = [{ id: 'a', publicKey: key.publicKey, targets: ['web'] }];

function harness() {
  let up = false;
  let seq = 0;
  const received: number[] = [];
  const seenWatch: AgentWatch[] = [];
  const fakeFetch = (async (url: URL, init: RequestInit) => {
    if (!up) throw new TypeError('fetch failed');
    const headers = init.headers as Record<string, string>;
    const body = init.body instanceof Uint8Array ? init.body : new Uint8Array(0);
    // Every request carries a signature the collector would accept, over what was sent.
    const verified = verifyAgentRequest(
      agents,
      (name) => headers[name],
      { method: String(init.method), pathWithQuery: `${url.pathname}${url.search}`, body },
      Date.now(),
    );
    expect(verified.ok).toBe(true);
    expect(Object.keys(headers)).not.toContain('authorization');
    if (url.pathname === '/v1/agent/snapshots') {
      received.push((JSON.parse(new TextDecoder().decode(body)) as AgentSnapshot).seq);
      return new Response(JSON.stringify({ watch }), { status: 200 });
    }
    // The long poll: nothing wanted; answered slowly enough not to spin.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return new Response(JSON.stringify({ snapshotWanted: false, watch }), { status: 200 });
  }) as typeof fetch;
  const agent = new AgentService({
    collectorUrl: 'http://collector:8470/',
    signer: createAgentRequestSigner('a', key.privateKey),
    take: async (trigger, w) => {
      seenWatch.push(w);
      return {
        v: 1,
        agentId: 'a',
        host: 'h',
        atMs: 1,
        sinceMs: null,
        trigger,
        seq: ++seq,
        counterDeltas: {},
        listeners: [],
        routes: [],
        sysctls: {},
        firewall: [],
        drops: [],
        sources: [],
      };
    },
    intervalMs: 3_600_000,
    bufferSize: 3,
    logger,
    fetch: fakeFetch,
  });
  return {
    agent,
    received,
    seenWatch,
    setUp: (v: boolean) => {
      up = v;
    },
  };
}

describe('AgentService', () => {
  it('keeps the newest snapshots while the collector is away, and sends them in order when it is back', async () => {
    const { agent, received, seenWatch, setUp } = harness();
    for (let i = 0; i < 5; i++) await agent.snapshot('periodic');
    expect(agent.buffered).toBe(3);
    expect(agent.stats.dropped).toBe(2);
    setUp(true);
    await agent.snapshot('requested');
    // The buffer holds 3: the sixth pushed the third out before the collector was reached.
    expect(received).toEqual([4, 5, 6]);
    expect(agent.stats.dropped).toBe(3);
    expect(agent.buffered).toBe(0);
    // Later snapshots use the watch list the collector sent back.
    await agent.snapshot('periodic');
    expect(seenWatch.at(-1)).toEqual(watch);
    await agent.stop();
  });
});
