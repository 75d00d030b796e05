import { randomUUID } from 'node:crypto';
import { ingestAttempt } from '@synack/collector/store/ingest-script';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import type { Cluster, Redis } from 'ioredis';

/** Stores one timed-out attempt of `target` (203.0.113.10:80, IPv4) from `region`, as the collector would. */
export async function ingestTimeout(
  redis: Redis | Cluster,
  prefix: string,
  target: string,
  region: string,
  kind: 'syn' | 'connect',
  startedAtMs: number,
): Promise<void> {
  const id = randomUUID();
  const record = {
    id,
    kind,
    outcome: 'timeout',
    startedAt: new Date(startedAtMs).toISOString(),
    target: { name: target, address: '203.0.113.10', port: 80, family: 'v4' },
  };
  await ingestAttempt(
    redis,
    prefix,
    {
      id,
      target,
      region,
      kind,
      startedAtMs,
      success: false,
      rttUs: null,
      outcome: 'timeout',
      recordJson: JSON.stringify(record),
    },
    startedAtMs,
  );
}

/**
 * A snapshot of agent `srv`'s server: one IPv4 listener on port 80 with an empty queue, the route
 * lookups back to regions a (10.1.0.2) and b (10.2.0.2) ending in `routes`, and `deltas`.
 */
export function agentSnapshot(
  atMs: number,
  sinceMs: number,
  deltas: Record<string, number>,
  routes: 'ok' | 'unreachable' = 'ok',
): AgentSnapshot {
  return {
    v: 1,
    agentId: 'srv',
    host: 'srv',
    atMs,
    sinceMs,
    trigger: 'requested',
    seq: atMs,
    counterDeltas: deltas,
    listeners: [
      { family: 'v4', address: '0.0.0.0', port: 80, acceptQueue: 0, acceptQueueMax: 128, synRecv: 0, v6Only: null },
    ],
    routes: ['a', 'b'].map((region, i) => ({
      destination: `10.${i + 1}.0.2`,
      family: 'v4' as const,
      regions: [region],
      result: routes,
      ...(routes === 'ok' ? {} : { error: 'Network is unreachable' }),
    })),
    sysctls: { 'net.ipv4.tcp_syncookies': '1' },
    firewall: [],
    drops: [],
    sources: [],
  };
}
