import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AgentService, type AgentWatch } from './agent-service.ts';

const logger = pino({ level: 'silent' });
const watch: AgentWatch = { ports: [443], runners: [{ address: '10.1.0.2', family: 'v4', regions: ['a'] }] };

function harness() {
  let up = false;
  let seq = 0;
  const received: number[] = [];
  const seenWatch: AgentWatch[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    if (!up) throw new TypeError('fetch failed');
    if (String(url).endsWith('/v1/agent/snapshots')) {
      expect((init.headers as Record<string, string>).authorization).toBe('Bearer t0ken-t0ken-t0ken-1');
      received.push((JSON.parse(String(init.body)) as AgentSnapshot).seq);
      return new Response(JSON.stringify({ watch }), { status: 200 });
    }
    // The long poll: nothing wanted; answered slowly enough not to spin.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return new Response(JSON.stringify({ snapshotWanted: false, watch }), { status: 200 });
  }) as typeof fetch;
  const agent = new AgentService({
    collectorUrl: 'http://collector:8470/',
    token: 't0ken-t0ken-t0ken-1',
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
