import { describe, expect, it } from 'vitest';
import { DeadlineQueues, TimerKind } from './deadline-queues.ts';

describe('DeadlineQueues', () => {
  it('hands out timers in deadline order across delays', () => {
    const q = new DeadlineQueues();
    q.push(0, 1000, 1, 11, TimerKind.send);
    q.push(5, 300, 2, 22, TimerKind.expire);
    q.push(10, 1000, 3, 33, TimerKind.send);
    expect(q.peekAt()).toBe(305);
    const seen: number[][] = [];
    q.popDue(1005, (key, seq, kind) => seen.push([key, seq, kind]));
    expect(seen).toEqual([
      [1, 11, 0],
      [2, 22, 1],
    ]);
    expect(q.peekAt()).toBe(1010);
    q.popDue(2000, (key) => seen.push([key]));
    expect(seen.at(-1)).toEqual([3]);
    expect(q.peekAt()).toBeUndefined();
  });

  it('keeps order through ring wrap-around and growth', () => {
    const q = new DeadlineQueues();
    let now = 0;
    const out: number[] = [];
    for (let i = 0; i < 1000; i++) {
      q.push(now, 50, i, i, TimerKind.expire);
      now += 1;
      if (i % 3 === 0) q.popDue(now, (key) => out.push(key));
    }
    q.popDue(Number.POSITIVE_INFINITY, (key) => out.push(key));
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('keeps 32-bit ISNs and flow keys exact', () => {
    const q = new DeadlineQueues();
    q.push(0, 1, 65535 * 65536 + 65535, 0xffffffff, TimerKind.send);
    const seen: number[][] = [];
    q.popDue(1, (key, seq) => seen.push([key, seq]));
    expect(seen).toEqual([[65535 * 65536 + 65535, 0xffffffff]]);
  });
});
