import { createServer } from 'node:net';
import { agentSnapshotSchema } from '@synack/shared/wire/agent-snapshot';
import { describe, expect, it } from 'vitest';
import { openDropTracer } from './drop-reasons.ts';
import type { Counters } from './parse-proc-counters.ts';
import { systemSnapshotDeps } from './system-snapshot-deps.ts';
import { createSnapshotState, type SnapshotDeps, takeSnapshot } from './take-snapshot.ts';

function fakeDeps(counters: Counters[], overrides: Partial<SnapshotDeps> = {}): SnapshotDeps {
  let time = 1_700_000_000_000;
  return {
    agentId: 'server-1',
    host: 'server-1.example',
    now: () => (time += 30_000),
    readCounters: async () => ({ value: counters.shift() ?? {}, sources: [{ source: '/proc/net/snmp', ok: true }] }),
    readListeners: (ports) => ({
      value: ports.map((port) => ({
        family: 'v4' as const,
        address: '0.0.0.0',
        port,
        acceptQueue: 0,
        acceptQueueMax: 128,
        synRecv: 0,
        v6Only: null,
      })),
      sources: [{ source: 'netlink sock_diag v4', ok: true }],
    }),
    lookupRoutes: async (runners) => ({
      value: runners.map((runner) => ({
        destination: runner.address,
        family: 'v4' as const,
        regions: [...runner.regions],
        result: 'unreachable' as const,
        error: 'Network is unreachable',
      })),
      sources: [{ source: 'ip -j route get', ok: true }],
    }),
    readSysctls: async () => ({
      value: { 'net.ipv4.tcp_syncookies': '1' },
      sources: [{ source: '/proc/sys/net', ok: true }],
    }),
    readFirewall: async () => ({
      value: [],
      sources: [{ source: 'nft -j list ruleset', ok: false, error: 'nft is not installed' }],
    }),
    readDrops: () => ({
      value: [
        { reason: 'NO_SOCKET', location: 'tcp_v4_send_reset', family: 'v4', port: 8080, peer: '192.0.2.2', count: 3 },
      ],
      sources: [{ source: 'tracefs tcp:tcp_send_reset', ok: true }],
    }),
    ...overrides,
  };
}

const request = {
  trigger: 'periodic' as const,
  ports: [8080],
  runners: [{ address: '192.0.2.2', regions: ['b'] }],
};

describe('takeSnapshot', () => {
  it('assembles a snapshot the contract accepts, the first one without counter deltas', async () => {
    const state = createSnapshotState();
    const snapshot = await takeSnapshot(fakeDeps([{ TcpExtListenDrops: 10 }]), state, request);
    expect(agentSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(snapshot).toMatchObject({
      v: 1,
      agentId: 'server-1',
      host: 'server-1.example',
      sinceMs: null,
      trigger: 'periodic',
      seq: 0,
      counterDeltas: {},
      listeners: [{ port: 8080, acceptQueueMax: 128 }],
      routes: [{ destination: '192.0.2.2', regions: ['b'], result: 'unreachable' }],
      sysctls: { 'net.ipv4.tcp_syncookies': '1' },
      drops: [{ reason: 'NO_SOCKET', port: 8080, count: 3 }],
    });
    expect(snapshot.sources).toContainEqual({
      source: 'nft -j list ruleset',
      ok: false,
      error: 'nft is not installed',
    });
    expect(state).toMatchObject({ seq: 1, counters: { TcpExtListenDrops: 10 }, atMs: snapshot.atMs });
  });

  it('reports counters as deltas since the previous snapshot, and numbers the snapshots', async () => {
    const deps = fakeDeps([
      { TcpExtListenDrops: 10, IpOutNoRoutes: 4 },
      { TcpExtListenDrops: 15, IpOutNoRoutes: 9 },
      { TcpExtListenDrops: 15 },
      { TcpExtListenDrops: 16, IpOutNoRoutes: 9 },
    ]);
    const state = createSnapshotState();
    const first = await takeSnapshot(deps, state, request);
    const second = await takeSnapshot(deps, state, { ...request, trigger: 'requested' });
    expect(second).toMatchObject({
      seq: 1,
      sinceMs: first.atMs,
      trigger: 'requested',
      counterDeltas: { TcpExtListenDrops: 5, IpOutNoRoutes: 5 },
    });
    // A counter missing once keeps its last value: no jump from zero when it is back.
    expect((await takeSnapshot(deps, state, request)).counterDeltas).toEqual({});
    expect((await takeSnapshot(deps, state, request)).counterDeltas).toEqual({ TcpExtListenDrops: 1 });
  });

  it('takes overlapping requests one after the other', async () => {
    const deps = fakeDeps([{ TcpOutRsts: 1 }, { TcpOutRsts: 3 }]);
    const state = createSnapshotState();
    const [first, second] = await Promise.all([takeSnapshot(deps, state, request), takeSnapshot(deps, state, request)]);
    expect([first.seq, second.seq]).toEqual([0, 1]);
    expect(second.counterDeltas).toEqual({ TcpOutRsts: 2 });
  });

  it('turns a source that throws into a failed status, and still takes the snapshot', async () => {
    const deps = fakeDeps([{}], {
      readListeners: () => {
        throw new Error('sock-diag exploded');
      },
      lookupRoutes: async () => {
        throw new Error('ip exploded');
      },
    });
    const snapshot = await takeSnapshot(deps, createSnapshotState(), request);
    expect(agentSnapshotSchema.safeParse(snapshot).success).toBe(true);
    expect(snapshot.listeners).toEqual([]);
    expect(snapshot.sources).toContainEqual({ source: 'netlink sock_diag', ok: false, error: 'sock-diag exploded' });
    expect(snapshot.sources).toContainEqual({ source: 'ip -j route get', ok: false, error: 'ip exploded' });
  });
});

describe('takeSnapshot on this machine', () => {
  it('produces valid snapshots from the real sources', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 11, resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const tracer = openDropTracer({ tracefsRoots: ['/nonexistent/tracing'] });
    try {
      const deps = systemSnapshotDeps('test-agent', tracer);
      const state = createSnapshotState();
      const live = { ...request, ports: [port], runners: [{ address: '127.0.0.1', regions: ['local'] }] };
      await takeSnapshot(deps, state, live);
      const snapshot = await takeSnapshot(deps, state, live);
      expect(agentSnapshotSchema.parse(snapshot)).toEqual(snapshot);
      expect(snapshot.seq).toBe(1);
      expect(snapshot.listeners).toEqual([
        { family: 'v4', address: '127.0.0.1', port, acceptQueue: 0, acceptQueueMax: 11, synRecv: 0, v6Only: null },
      ]);
      expect(snapshot.routes).toMatchObject([{ destination: '127.0.0.1', result: 'ok', dev: 'lo' }]);
      expect(snapshot.sysctls['net.core.somaxconn']).toMatch(/^\d+$/);
      expect(snapshot.sources.find((source) => source.source === '/proc/net/netstat')).toEqual({
        source: '/proc/net/netstat',
        ok: true,
      });
      expect(snapshot.sources.find((source) => source.source === 'tracefs skb:kfree_skb')?.ok).toBe(false);
    } finally {
      tracer.close();
      server.close();
    }
  });
});
