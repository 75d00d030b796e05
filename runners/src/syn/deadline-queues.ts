/** What a timer entry asks for when it falls due. */
export const TimerKind = { send: 0, expire: 1 } as const;
export type TimerKind = (typeof TimerKind)[keyof typeof TimerKind];

const STRIDE = 4; // at, key, seq, kind

/** One FIFO of timers that share a delay, in a growable ring of doubles: no object per entry. */
class Fifo {
  data = new Float64Array(STRIDE * 64);
  head = 0;
  size = 0;

  get capacity(): number {
    return this.data.length / STRIDE;
  }

  push(at: number, key: number, seq: number, kind: TimerKind): void {
    if (this.size === this.capacity) this.grow();
    const i = ((this.head + this.size) % this.capacity) * STRIDE;
    this.data[i] = at;
    this.data[i + 1] = key;
    this.data[i + 2] = seq;
    this.data[i + 3] = kind;
    this.size++;
  }

  peekAt(): number {
    return this.data[this.head * STRIDE] as number;
  }

  // Called when full: the ring is [head, end) then [0, head).
  private grow(): void {
    const next = new Float64Array(this.data.length * 2);
    const head = this.head * STRIDE;
    next.set(this.data.subarray(head));
    next.set(this.data.subarray(0, head), this.data.length - head);
    this.data = next;
    this.head = 0;
  }
}

/**
 * The engine's timers. Every attempt's timers use one of a few delays (its timeout, its RTOs), and
 * entries of one delay, pushed as time goes on, fall due in push order: a FIFO per delay is
 * sorted without a heap. Entries are numbers (flow key and ISN), so a finished attempt is not kept
 * alive by its pending timers.
 */
export class DeadlineQueues {
  private readonly queues = new Map<number, Fifo>();

  /** Adds a timer `delayMs` after `now`; `now` must not go backwards between pushes. */
  push(now: number, delayMs: number, key: number, seq: number, kind: TimerKind): void {
    let fifo = this.queues.get(delayMs);
    if (!fifo) {
      fifo = new Fifo();
      this.queues.set(delayMs, fifo);
    }
    fifo.push(now + delayMs, key, seq, kind);
  }

  /** The earliest deadline, or `undefined` when no timer is pending. */
  peekAt(): number | undefined {
    let min: number | undefined;
    for (const fifo of this.queues.values()) {
      if (fifo.size > 0 && (min === undefined || fifo.peekAt() < min)) min = fifo.peekAt();
    }
    return min;
  }

  /** Removes every timer due at or before `now` and hands it to `visit`. */
  popDue(now: number, visit: (key: number, seq: number, kind: TimerKind) => void): void {
    for (const [delay, fifo] of this.queues) {
      while (fifo.size > 0 && fifo.peekAt() <= now) {
        const i = fifo.head * STRIDE;
        const d = fifo.data;
        fifo.head = (fifo.head + 1) % fifo.capacity;
        fifo.size--;
        visit(d[i + 1] as number, d[i + 2] as number, d[i + 3] as TimerKind);
      }
      if (fifo.size === 0 && this.queues.size > 16) this.queues.delete(delay);
    }
  }

  clear(): void {
    this.queues.clear();
  }
}
