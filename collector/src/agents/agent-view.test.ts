import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import { describe, expect, it } from 'vitest';
import { agentView } from './agent-view.ts';

const snap = (atMs: number, over: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  v: 1,
  agentId: 'srv',
  host: 'h',
  atMs,
  sinceMs: atMs - 1000,
  trigger: 'periodic',
  seq: atMs,
  counterDeltas: {},
  listeners: [],
  routes: [],
  sysctls: {},
  firewall: [],
  drops: [],
  sources: [],
  ...over,
});

const rule = (packets: number) => ({
  backend: 'nft' as const,
  family: 'inet',
  table: 'f',
  chain: 'input',
  handle: 3,
  rule: 'tcp dport 80 drop',
  verdict: 'drop',
  ports: [80],
  packets,
  bytes: packets * 60,
});

describe('agentView', () => {
  it('sums counter deltas and drops over the snapshots wholly inside the window, and takes the latest state', () => {
    const view = agentView(
      [
        snap(1000, { counterDeltas: { TcpExtListenDrops: 100 } }),
        // Straddles the window's start (1500): its deltas may be an earlier fault's.
        snap(2000, { counterDeltas: { TcpExtListenOverflows: 9 } }),
        snap(3000, {
          counterDeltas: { TcpExtListenDrops: 3, Ip6OutNoRoutes: 3 },
          drops: [{ reason: 'NO_SOCKET', family: 'v4', port: 80, count: 2 }],
        }),
        snap(4000, {
          counterDeltas: { TcpExtListenDrops: 4 },
          drops: [{ reason: 'NO_SOCKET', family: 'v4', port: 80, count: 5 }],
          sysctls: { a: '1' },
        }),
      ],
      1500,
      4000,
    );
    expect(view?.counterDeltas).toEqual({ TcpExtListenDrops: 7, Ip6OutNoRoutes: 3 });
    expect(view?.drops).toEqual([{ reason: 'NO_SOCKET', family: 'v4', port: 80, count: 7 }]);
    expect(view?.sysctls).toEqual({ a: '1' });
    expect(view?.span).toEqual({ fromMs: 2000, toMs: 4000 });
  });

  it('counts firewall packets over the same span', () => {
    const view = agentView(
      [
        snap(1000, { firewall: [rule(10)] }),
        snap(2000, { firewall: [rule(15)] }),
        snap(3000, { firewall: [rule(42)] }),
      ],
      1500,
      3000,
    );
    expect(view?.firewallDeltas).toEqual({ 'inet f 3': 27 });
  });

  it('counts every packet of a rule added during the span, but not of one merely first seen', () => {
    const added = agentView([snap(1000), snap(2000), snap(3000, { firewall: [rule(5)] })], 1500, 3000);
    expect(added?.firewallDeltas).toEqual({ 'inet f 3': 5 });
    // The span's first snapshot is all there is: the rule may be old, so its history is not counted.
    const firstSeen = agentView(
      [snap(2500, { sinceMs: 2000, firewall: [rule(9)] }), snap(3000, { sinceMs: 2500, firewall: [rule(12)] })],
      1500,
      3000,
    );
    expect(firstSeen?.firewallDeltas).toEqual({ 'inet f 3': 3 });
  });

  it('keeps a next hop dead while it flips between FAILED and INCOMPLETE, not once it answers', () => {
    const route = (neighbour: string) => ({
      destination: '10.1.0.2',
      family: 'v4' as const,
      regions: ['a'],
      result: 'ok' as const,
      gateway: '203.0.113.2',
      neighbour,
    });
    const flipping = agentView(
      [snap(2000, { routes: [route('FAILED')] }), snap(3000, { routes: [route('INCOMPLETE')] })],
      500,
      3000,
    );
    expect(flipping?.routes[0]?.neighbour).toBe('FAILED');
    const answered = agentView(
      [snap(2000, { routes: [route('FAILED')] }), snap(3000, { routes: [route('REACHABLE')] })],
      500,
      3000,
    );
    expect(answered?.routes[0]?.neighbour).toBe('REACHABLE');
    // INCOMPLETE for longer than a resolution takes: nobody answers.
    const stuck = [1000, 2000, 3000, 4000].map((at) => snap(at, { routes: [route('INCOMPLETE')] }));
    expect(agentView(stuck, -500, 4000)?.routes[0]?.neighbour).toBe('FAILED');
    expect(agentView(stuck.slice(0, 2), -500, 4000)?.routes[0]?.neighbour).toBe('INCOMPLETE');
  });

  it('keeps the fullest queues each listener had during the span', () => {
    const listener = (acceptQueue: number, synRecv: number) => ({
      family: 'v4' as const,
      address: '0.0.0.0',
      port: 80,
      acceptQueue,
      acceptQueueMax: 128,
      synRecv,
      v6Only: null,
    });
    const view = agentView(
      [snap(2000, { listeners: [listener(3, 129)] }), snap(3000, { listeners: [listener(0, 40)] })],
      500,
      3000,
    );
    expect(view?.listeners).toEqual([listener(3, 129)]);
  });

  it('is null until a snapshot lies wholly inside the window', () => {
    expect(agentView([snap(1000), snap(2000)], 1500, 3000)).toBeNull();
    // The first snapshot after an agent starts has no deltas to speak of.
    expect(agentView([snap(2000, { sinceMs: null })], 1500, 3000)).toBeNull();
  });
});
