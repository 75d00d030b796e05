import { describe, expect, it } from 'vitest';
import { synSendOffsetsMs } from './retransmit-schedule.ts';

describe('synSendOffsetsMs', () => {
  it('follows Linux: +1 s, +2 s, +4 s between SYNs, within the timeout', () => {
    expect(synSendOffsetsMs({ timeoutMs: 10_000, rtoMs: 1000, maxRetransmits: 6 })).toEqual([0, 1000, 3000, 7000]);
    expect(synSendOffsetsMs({ timeoutMs: 3000, rtoMs: 1000, maxRetransmits: 6 })).toEqual([0, 1000]);
  });

  it('honours the retransmission cap and rto 0', () => {
    expect(synSendOffsetsMs({ timeoutMs: 60_000, rtoMs: 500, maxRetransmits: 2 })).toEqual([0, 500, 1500]);
    expect(synSendOffsetsMs({ timeoutMs: 60_000, rtoMs: 0, maxRetransmits: 6 })).toEqual([0]);
  });

  it('rejects a non-positive timeout', () => {
    expect(() => synSendOffsetsMs({ timeoutMs: 0, rtoMs: 1000, maxRetransmits: 1 })).toThrow(RangeError);
  });
});
