import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from './deadline-heap.ts';

describe('DeadlineHeap', () => {
  it('pops items in deadline order whatever the push order', () => {
    const heap = new DeadlineHeap<string>();
    const ats = [50, 10, 40, 10.5, 99, 0, 30, 20];
    for (const at of ats) heap.push(at, `t${at}`);
    expect(heap.peekAt()).toBe(0);
    const out: (string | undefined)[] = [];
    while (heap.size) out.push(heap.pop());
    expect(out).toEqual([...ats].sort((a, b) => a - b).map((a) => `t${a}`));
    expect(heap.pop()).toBeUndefined();
  });

  it('stays ordered under interleaved pushes and pops', () => {
    const heap = new DeadlineHeap<number>();
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 1000;
    };
    let last = -1;
    for (let i = 0; i < 2000; i++) {
      heap.push(last + 1 + rand(), i);
      if (i % 3 === 0) {
        const at = heap.peekAt() as number;
        expect(at).toBeGreaterThanOrEqual(last);
        last = at;
        heap.pop();
      }
    }
  });
});
