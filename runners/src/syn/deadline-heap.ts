/** A binary min-heap of items ordered by `at` (ms): the engine's one timer queue. */
export class DeadlineHeap<T> {
  private readonly ats: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.ats.length;
  }

  /** The earliest deadline, or `undefined` when empty. */
  peekAt(): number | undefined {
    return this.ats[0];
  }

  push(at: number, item: T): void {
    this.ats.push(at);
    this.items.push(item);
    let i = this.ats.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.ats[parent] as number) <= at) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const n = this.ats.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    this.swap(0, n - 1);
    this.ats.pop();
    this.items.pop();
    let i = 0;
    const size = n - 1;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && (this.ats[l] as number) < (this.ats[m] as number)) m = l;
      if (r < size && (this.ats[r] as number) < (this.ats[m] as number)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  clear(): void {
    this.ats.length = 0;
    this.items.length = 0;
  }

  private swap(a: number, b: number): void {
    const at = this.ats[a] as number;
    this.ats[a] = this.ats[b] as number;
    this.ats[b] = at;
    const item = this.items[a] as T;
    this.items[a] = this.items[b] as T;
    this.items[b] = item;
  }
}
