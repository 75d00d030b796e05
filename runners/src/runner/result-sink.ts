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
 * in a bounded buffer and the send is retried; `flush()` resolves once everything given so far
 * has been accepted by Redis, which is what a probe job waits for before it completes.
 */
export class ResultSink {
  readonly stats = { sent: 0, batches: 0, dropped: 0, sendErrors: 0 };
  private readonly options: Required<Omit<ResultSinkOptions, 'logger' | 'deliverOnDemand' | 'queue'>> &
    ResultSinkOptions;
  private buffer: ResultItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  // Items dropped from the head while a batch taken from it was being sent.
  private droppedHead = 0;

  constructor(options: ResultSinkOptions) {
    this.options = { maxItems: 500, maxDelayMs: 50, maxBuffered: 200_000, ...options };
  }

  get buffered(): number {
    return this.buffer.length;
  }

  push(item: ResultItem): void {
    this.buffer.push(item);
    if (this.buffer.length > this.options.maxBuffered) {
      const over = this.buffer.length - this.options.maxBuffered;
      this.buffer.splice(0, over);
      this.droppedHead += over;
      this.stats.dropped += over;
      this.options.logger.error({ dropped: over }, 'result buffer full while Redis is away: oldest results dropped');
    }
    if (this.buffer.length >= this.options.maxItems) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
  }

  /** Resolves when every item pushed so far is on the results queue. */
  flush(): Promise<void> {
    if (this.buffer.length === 0 && !this.sending) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.kick();
    return done;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
      if (this.buffer.length > 0) this.kick();
      else for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  private async drain(): Promise<void> {
    let backoffMs = 100;
    while (this.buffer.length > 0) {
      const items = this.buffer.slice(0, this.options.maxItems);
      this.droppedHead = 0;
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
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
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
      // Only now: a batch that failed to send stays at the head of the buffer.
      this.buffer.splice(0, Math.max(0, items.length - this.droppedHead));
      this.stats.sent += items.length;
      this.stats.batches++;
      backoffMs = 100;
    }
  }
}
