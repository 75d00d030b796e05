import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import { describePathTrace, pathTraceOf } from './path-trace.ts';

const target = { name: 'web', address: '203.0.113.10', port: 8080, family: 'v4' as const };
const hop = (ttl: number, outcome: string, from?: string, meaning = 'ttl_exceeded'): SynAttemptRecord =>
  ({
    kind: 'syn',
    outcome,
    target,
    sentTtl: ttl,
    ...(from ? { icmp: { type: 11, code: 0, from, meaning } } : {}),
  }) as unknown as SynAttemptRecord;

describe('path traces', () => {
  it('says where the SYNs stop: after the last hop that answered', () => {
    const trace = pathTraceOf('b', 'v4', [hop(1, 'icmp', '10.2.0.1'), hop(2, 'timeout'), hop(3, 'timeout')], 1000);
    expect(describePathTrace(trace)).toEqual({
      fact: 'trace b/v4 to 203.0.113.10',
      value: '1 10.2.0.1, 2 *, 3 *: the SYNs are lost after hop 1 (10.2.0.1)',
    });
  });

  it('says when the target was reached, or a router reported it unreachable', () => {
    const reached = pathTraceOf('a', 'v4', [hop(1, 'icmp', '10.1.0.1'), hop(2, 'synack')], 1000);
    expect(describePathTrace(reached).value).toBe('1 10.1.0.1, 2 203.0.113.10: reached the target at hop 2');
    const unreachable = pathTraceOf('a', 'v4', [hop(1, 'icmp', '10.1.0.1', 'network_unreachable')], 1000);
    expect(describePathTrace(unreachable).value).toBe('1 10.1.0.1: hop 1 reports the target unreachable');
  });

  it('says why there is no trace', () => {
    const refused = pathTraceOf(
      'a',
      'v4',
      [
        {
          kind: 'syn',
          outcome: 'local_error',
          target,
          error: { code: 'SYNACK_ERR_RAW_SOCKET_DENIED', message: 'no raw sockets' },
        } as unknown as SynAttemptRecord,
      ],
      1000,
    );
    expect(describePathTrace(refused)).toEqual({ fact: 'trace a/v4 to 203.0.113.10', value: 'none: no raw sockets' });
  });
});
