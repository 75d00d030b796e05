import { describe, expect, it } from 'vitest';
import { formatStatus } from './status-table.ts';

describe('formatStatus', () => {
  it('prints a row per series and per live runner, aligned', () => {
    const now = 1_000_000;
    const text = formatStatus(
      [
        {
          target: 'web',
          region: 'eu-west',
          kind: 'syn',
          lastOutcome: 'synack',
          lastAtMs: now - 2000,
          attempts5m: 30,
          successRatio5m: 29 / 30,
          rttP50Us: 420,
          rttP99Us: 1900,
        },
        {
          target: 'db',
          region: 'us-east',
          kind: 'connect',
          lastOutcome: null,
          lastAtMs: null,
          attempts5m: 0,
          successRatio5m: null,
          rttP50Us: null,
          rttP99Us: null,
        },
      ],
      [
        {
          id: 'r-1',
          region: 'eu-west',
          version: '0.1.0',
          hostname: 'h',
          pid: 1,
          rawSyn: true,
          sourceAddresses: [],
          startedAtMs: 0,
          seenAtMs: now - 1000,
          inFlight: 3,
          probed: 120,
          control: { ok: false, outcome: 'timeout', atMs: now },
        },
      ],
      now,
    );
    expect(text.split('\n')).toEqual([
      'target  region   kind     last    when    ok 5m  attempts 5m  rtt p50  rtt p99',
      'web     eu-west  syn      synack  2s ago  96.7%  30           0.42 ms  1.90 ms',
      'db      us-east  connect  -       -       -      0            -        -',
      '',
      'runner  region   raw SYN  in flight  probed  control         seen',
      'r-1     eu-west  yes      3          120     FAIL (timeout)  1s ago',
    ]);
    expect(formatStatus([], [], now)).toContain('(no live runners)');
  });
});
