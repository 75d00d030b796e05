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
  it('sums counter deltas and drops over the window, and takes the latest state', () => {
    const view = agentView(
      [
        snap(1000, { counterDeltas: { TcpExtListenDrops: 100 } }),
        snap(2000, {
          counterDeltas: { TcpExtListenDrops: 3, Ip6OutNoRoutes: 3 },
          drops: [{ reason: 'NO_SOCKET', family: 'v4', port: 80, count: 2 }],
        }),
        snap(3000, {
          counterDeltas: { TcpExtListenDrops: 4 },
          drops: [{ reason: 'NO_SOCKET', family: 'v4', port: 80, count: 5 }],
          sysctls: { a: '1' },
        }),
      ],
      1500,
      3000,
    );
    expect(view?.counterDeltas).toEqual({ TcpExtListenDrops: 7, Ip6OutNoRoutes: 3 });
    expect(view?.drops).toEqual([{ reason: 'NO_SOCKET', family: 'v4', port: 80, count: 7 }]);
    expect(view?.sysctls).toEqual({ a: '1' });
  });

  it('counts firewall packets from just before the window to the latest snapshot', () => {
    const view = agentView(
      [
        snap(1000, { firewall: [rule(10)] }),
        snap(2000, { firewall: [rule(15)] }),
        snap(3000, { firewall: [rule(42)] }),
      ],
      1500,
      3000,
    );
    expect(view?.firewallDeltas).toEqual({ 3: 32 });
  });

  it('is null without a snapshot in the window', () => {
    expect(agentView([snap(1000)], 1500, 3000)).toBeNull();
  });
});
