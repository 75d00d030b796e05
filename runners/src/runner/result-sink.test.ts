import type { ResultItem } from '@synack/shared/wire/result-message';
import type { Queue } from 'bullmq';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ResultSink } from './result-sink.ts';

const item = (n: number): ResultItem =>
  ({ resultId: `r${n}`, jobId: 'j', dueAtMs: 1, role: 'target', record: {} }) as unknown as ResultItem;

function sink(add: (batch: { items: ResultItem[] }) => Promise<void>) {
  const queue = { add: async (_name: string, batch: { items: ResultItem[] }) => add(batch) } as unknown as Queue;
  return new ResultSink({
    queue,
    region: 'r',
    runnerId: 'x',
    deliverOnDemand: async () => {},
    logger: pino({ level: 'silent' }),
    maxItems: 2,
    maxDelayMs: 1,
  });
}

describe('ResultSink', () => {
  it('resolves a flush once the items pushed before it are sent, while more keep arriving', async () => {
    const sent: string[] = [];
    const s = sink(async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      sent.push(...batch.items.map((i) => i.resultId));
    });
    s.push(item(1));
    s.push(item(2));
    s.push(item(3));
    const flushed = s.flush();
    // Steady traffic after the flush: it must not hold the flush back.
    const feeder = setInterval(() => s.push(item(99)), 1);
    await flushed;
    clearInterval(feeder);
    expect(sent.slice(0, 3)).toEqual(['r1', 'r2', 'r3']);
    await s.close(1000);
  });

  it('keeps items while Redis is away, and close() gives up after its timeout', async () => {
    let up = false;
    const sent: string[] = [];
    const s = sink(async (batch) => {
      if (!up) throw new Error('Connection is closed');
      sent.push(...batch.items.map((i) => i.resultId));
    });
    s.push(item(1));
    const flushed = s.flush();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(s.buffered).toBe(1);
    up = true;
    await flushed;
    expect(sent).toEqual(['r1']);
    up = false;
    s.push(item(2));
    await s.close(50);
    expect(s.stats.dropped).toBe(1);
    s.push(item(3));
    expect(s.stats.dropped).toBe(2);
  });
});
