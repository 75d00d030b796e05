import { describe, expect, it } from 'vitest';
import type { SynAttemptRecord } from './attempt-record.ts';
import { traceHops } from './trace-hops.ts';

const at = (ttl: number, outcome: SynAttemptRecord['outcome'], from?: string): SynAttemptRecord =>
  ({
    kind: 'syn',
    sentTtl: ttl,
    outcome,
    target: { name: 't', address: '203.0.113.10', port: 80, family: 'v4' },
    icmp: from ? { type: 11, code: 0, from, meaning: 'ttl_exceeded' } : undefined,
  }) as SynAttemptRecord;

describe('traceHops', () => {
  it('lists routers by TTL and stops at the first TTL the target answered', () => {
    const hops = traceHops([at(3, 'synack'), at(1, 'icmp', '192.0.2.1'), at(2, 'timeout'), at(4, 'synack')]);
    expect(hops.map((h) => [h.ttl, h.responders, h.reachedTarget])).toEqual([
      [1, ['192.0.2.1'], false],
      [2, [], false],
      [3, ['203.0.113.10'], true],
    ]);
  });

  it('stops at a router that reports the destination unreachable', () => {
    const unreachable = (ttl: number): SynAttemptRecord =>
      ({
        ...at(ttl, 'icmp'),
        icmp: { type: 3, code: 0, from: '192.0.2.1', meaning: 'network_unreachable' },
      }) as SynAttemptRecord;
    const hops = traceHops([at(1, 'icmp', '198.51.100.1'), unreachable(2), unreachable(3), unreachable(4)]);
    expect(hops.map((h) => [h.ttl, h.final, h.reachedTarget])).toEqual([
      [1, false, false],
      [2, true, false],
    ]);
  });

  it('counts the target’s own ICMP error (a firewall reject) as reaching it', () => {
    const hops = traceHops([at(1, 'icmp', '192.0.2.1'), at(2, 'icmp', '203.0.113.10'), at(3, 'icmp', '203.0.113.10')]);
    expect(hops).toHaveLength(2);
    expect(hops[1]?.reachedTarget).toBe(true);
  });
});
