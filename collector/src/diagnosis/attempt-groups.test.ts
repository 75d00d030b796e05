import { describe, expect, it } from 'vitest';
import { groupAttempts } from './attempt-groups.ts';
import type { ObservedAttempt } from './diagnosis-input.ts';

const at = (
  startedAtMs: number,
  region: string,
  family: 'v4' | 'v6',
  kind: 'syn' | 'connect',
  outcome: string,
  extra: Partial<ObservedAttempt> = {},
): ObservedAttempt => ({ region, family, kind, outcome, startedAtMs, ...extra });

const hostUnreachable = { type: 3, code: 1, from: '203.0.113.1', meaning: 'host_unreachable' };

describe('groupAttempts', () => {
  it('takes a failure from the attempts since each kind last answered, not from an earlier failure', () => {
    const { failing, failureStartMs } = groupAttempts([
      // An earlier fault, fixed since: a router's ICMP, then answers again.
      at(1000, 'a', 'v4', 'syn', 'icmp', { icmp: hostUnreachable }),
      at(1000, 'a', 'v4', 'connect', 'unreachable'),
      at(5000, 'a', 'v4', 'syn', 'synack'),
      at(5000, 'a', 'v4', 'connect', 'established'),
      // The current one: silence.
      at(9000, 'a', 'v4', 'syn', 'timeout'),
      at(9000, 'a', 'v4', 'connect', 'timeout'),
    ]);
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ region: 'a', family: 'v4', failure: 'silent' });
    expect(failing[0]?.streak.map((a) => a.startedAtMs)).toEqual([9000, 9000]);
    expect(failureStartMs).toBe(9000);
  });

  it('counts a group as fine only when it answered after the failure began', () => {
    const { failing, fine } = groupAttempts([
      at(1000, 'b', 'v4', 'syn', 'synack'),
      at(1000, 'b', 'v4', 'connect', 'established'),
      at(3000, 'a', 'v4', 'syn', 'timeout'),
      at(3000, 'a', 'v4', 'connect', 'timeout'),
      at(4000, 'a', 'v6', 'syn', 'synack'),
      at(4000, 'a', 'v6', 'connect', 'established'),
    ]);
    expect(failing.map((g) => `${g.region}/${g.family}`)).toEqual(['a/v4']);
    // b/v4 last answered before a/v4 began to fail: it says nothing about this failure yet.
    expect(fine.map((g) => `${g.region}/${g.family}`)).toEqual(['a/v6']);
  });

  it('fails a group when one probe kind fails while the other answers', () => {
    const { failing } = groupAttempts([
      at(1000, 'a', 'v4', 'syn', 'timeout'),
      at(2000, 'a', 'v4', 'connect', 'established'),
    ]);
    expect(failing[0]).toMatchObject({ failure: 'silent' });
  });

  it('reads the kind of failure: ICMP anywhere in it, else RST, else a local error, else silence', () => {
    const kinds = (outcomes: [string, string], extra: Partial<ObservedAttempt> = {}) =>
      groupAttempts([at(1000, 'a', 'v4', 'syn', outcomes[0], extra), at(1000, 'a', 'v4', 'connect', outcomes[1])])
        .failing[0]?.failure;
    expect(kinds(['timeout', 'unreachable'])).toBe('icmp');
    expect(kinds(['icmp', 'timeout'], { icmp: hostUnreachable })).toBe('icmp');
    expect(kinds(['rst', 'refused'])).toBe('rst');
    expect(kinds(['local_error', 'local_error'])).toBe('local');
    expect(kinds(['timeout', 'timeout'])).toBe('silent');
  });

  it('has nothing failing and every group fine when all answered', () => {
    const result = groupAttempts([at(1000, 'a', 'v4', 'syn', 'synack'), at(1000, 'b', 'v6', 'connect', 'established')]);
    expect(result).toMatchObject({ failing: [], failureStartMs: null });
    expect(result.fine).toHaveLength(2);
  });
});
