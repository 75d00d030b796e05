import type { Logger } from '@synack/shared/logger';
import { RESULT_BATCH_VERSION, type ResultBatch, type ResultItem } from '@synack/shared/wire/result-message';
import type { Queue } from 'bullmq';

export type ResultSinkOptions = {
  queue: Queue;
  region: string;
  runnerId: string;
  /** Extra delivery for on-demand results (the requester waits on them); failures are retried too. */
  deliverOnDemand: (requestId: string, items: ResultItem[]) => Promise<void>;
  logger: Logger;
  /** Batch size and age limits. Defaults 500 items, 50 ms. */
  maxItems?: number;
  maxDelayMs?: number;
  /** Items kept while Redis is away; beyond it the oldest are dropped and counted. Default 200,000. */
  maxBuffered?: number;
};

/**
 * Collects attempt results and puts them on the results queue in batches (one queue job per
 * batch, each item keeping its own idempotency key). While Redis is unreachable the items wait
 * in a bounded buffer and the send is retried. `flush()` resolves once every item pushed before
 * the call has been accepted by Redis (or dropped), whatever arrives meanwhile: that is what a
 * probe job waits for before it completes.
 */
export class ResultSink {
  readonly stats = { sent: 0, batches: 0, dropped: 0, sendErrors: 0 };
  private readonly options: Required<Omit<ResultSinkOptions, 'logger' | 'deliverOnDemand' | 'queue'>> &
    ResultSinkOptions;
  private buffer: ResultItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  // Items ever pushed, and items done with (sent or dropped): buffer[0] is item number `doneSeq`.
  private pushedSeq = 0;
  private doneSeq = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private closed = false;

  constructor(options: ResultSinkOptions) {
    this.options = { maxItems: 500, maxDelayMs: 50, maxBuffered: 200_000, ...options };
  }

  get buffered(): number {
    return this.buffer.length;
  }

  push(item: ResultItem): void {
    if (this.closed) {
      this.stats.dropped++;
      this.options.logger.error({ result: item.resultId }, 'result pushed after the sink closed: dropped');
      return;
    }
    this.buffer.push(item);
    this.pushedSeq++;
    if (this.buffer.length > this.options.maxBuffered) {
      const over = this.buffer.length - this.options.maxBuffered;
      this.done(over, true);
      this.options.logger.error({ dropped: over }, 'result buffer full while Redis is away: oldest results dropped');
    }
    if (this.buffer.length >= this.options.maxItems) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
  }

  /** Resolves when every item pushed before this call is on the results queue (or was dropped). */
  flush(): Promise<void> {
    const seq = this.pushedSeq;
    if (this.doneSeq >= seq) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ seq, resolve }));
    this.kick();
    return done;
  }

  /**
   * Sends what is buffered, waiting at most `timeoutMs` for Redis, then refuses new items. What
   * could not be sent by then is dropped and counted, so a process can always exit.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    const flushed = this.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([flushed, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.closed = true;
    if (this.buffer.length > 0) {
      this.options.logger.error({ dropped: this.buffer.length }, 'results still unsent at shutdown: dropped');
      this.done(this.buffer.length, true);
    }
  }

  private done(count: number, dropped: boolean): void {
    this.buffer.splice(0, count);
    this.doneSeq += count;
    if (dropped) this.stats.dropped += count;
    const ready = this.waiters.filter((w) => w.seq <= this.doneSeq);
    this.waiters = this.waiters.filter((w) => w.seq > this.doneSeq);
    for (const w of ready) w.resolve();
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
      if (this.buffer.length > 0 && !this.closed) this.kick();
    });
  }

  private async drain(): Promise<void> {
    let backoffMs = 100;
    while (this.buffer.length > 0 && !this.closed) {
      const items = this.buffer.slice(0, this.options.maxItems);
      const firstSeq = this.doneSeq;
      const batch: ResultBatch = {
        v: RESULT_BATCH_VERSION,
        region: this.options.region,
        runnerId: this.options.runnerId,
        items,
      };
      try {
        await this.options.queue.add('batch', batch, {
          removeOnComplete: true,
          removeOnFail: 10_000,
          // The collector's worker retries Redis trouble with its own capped backoff, for hours.
          attempts: 1000,
          backoff: { type: 'custom' },
        });
        const byRequest = new Map<string, ResultItem[]>();
        for (const item of items) {
          if (!item.requestId) continue;
          const list = byRequest.get(item.requestId);
          if (list) list.push(item);
          else byRequest.set(item.requestId, [item]);
        }
        for (const [requestId, list] of byRequest) await this.options.deliverOnDemand(requestId, list);
      } catch (error) {
        this.stats.sendErrors++;
        this.options.logger.warn(
          { err: (error as Error).message, buffered: this.buffer.length },
          'cannot send results yet; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 2000);
        continue;
      }
      // Items dropped from the head while this batch was in flight are already counted as done.
      const stillBuffered = Math.max(0, items.length - (this.doneSeq - firstSeq));
      this.stats.sent += stillBuffered;
      this.stats.batches++;
      this.done(stillBuffered, false);
      backoffMs = 100;
    }
  }
}
