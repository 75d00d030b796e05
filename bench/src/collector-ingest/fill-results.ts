import { parseArgs } from 'node:util';
import { createAttemptIds } from '@synack/runners/probe/attempt-id';
import type { ConnectAttemptRecord } from '@synack/shared/attempt-record';
import { attemptRecordSchema } from '@synack/shared/wire/attempt-record-schema';
import {
  RESULT_BATCH_VERSION,
  type ResultBatch,
  type ResultItem,
  resultBatchSchema,
  resultId,
} from '@synack/shared/wire/result-message';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

// Pre-fills the results queue for bench/collector-ingest with `--count` attempt records in the
// runners' format: result batches of `--batch` items (what ResultSink sends, with its job
// options), each batch from one region's runner, covering `--targets` targets × the regions at a
// 10 s interval as a runner would have reported them over the last minutes. Each region's records
// go through its targets in order, round after round. Every batch is checked against the
// collector's schemas before it is queued. Prints one JSON line.
const { values } = parseArgs({
  options: {
    'redis-port': { type: 'string' },
    count: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '500' },
    targets: { type: 'string', default: '10000' },
    regions: { type: 'string', default: 'bench-a,bench-b,bench-c' },
    prefix: { type: 'string', default: 'synack' },
  },
});
if (!values['redis-port']) throw new TypeError('usage: fill-results.ts --redis-port P [--count N]');
const count = Number(values.count);
const batchSize = Number(values.batch);
const targets = Number(values.targets);
const regions = values.regions.split(',');
const INTERVAL_MS = 10_000;
const rounds = Math.ceil(count / (targets * regions.length));
// All started in the past (none refused as "future"), and recently (the minute ring holds them).
const firstRoundMs = Math.floor((Date.now() - (rounds + 1) * INTERVAL_MS) / INTERVAL_MS) * INTERVAL_MS;
const nextId = createAttemptIds(new Uint8Array(16).fill(7));

const perRegion = new Map<string, number>(regions.map((r) => [r, 0]));
const record = (region: string): ResultItem => {
  const n = perRegion.get(region) ?? 0;
  perRegion.set(region, n + 1);
  const t = n % targets;
  const round = Math.floor(n / targets);
  const octet = 10 + (t % 100);
  const port = 10_001 + Math.floor(t / 100);
  const name = `t-${octet}-${port}`;
  const offsetMs = (t * 7919) % INTERVAL_MS; // spread over the interval, as target offsets are
  const slotMs = firstRoundMs + round * INTERVAL_MS + offsetMs - (offsetMs % 100);
  const dueAtMs = slotMs + (offsetMs % 100);
  const rttUs = 40 + ((n * 37) % 400);
  const r: ConnectAttemptRecord = {
    v: 1,
    id: nextId(),
    kind: 'connect',
    target: { name, address: `192.0.2.${octet}`, port, family: 'v4' },
    source: { address: '192.0.2.1', port: 32_768 + (n % 28_000) },
    startedAt: new Date(dueAtMs + (n % 3)).toISOString(),
    synSentUs: [6],
    answerUs: rttUs + 6,
    rttUs,
    retransmits: 0,
    outcome: 'established',
  };
  const jobId = `repeat-i10000-s${Math.floor(offsetMs / 100)}-${slotMs}`;
  return {
    resultId: resultId(region, jobId, name, 'connect', r.target.address, port),
    jobId,
    dueAtMs,
    role: 'target',
    record: r,
  };
};

const admin = new Redis({ port: Number(values['redis-port']), host: '127.0.0.1', maxRetriesPerRequest: null });
const queue = new Queue('results', { connection: admin, prefix: values.prefix });
const opts = {
  removeOnComplete: true,
  removeOnFail: 10_000,
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
};
const started = performance.now();
let made = 0;
let batchNo = 0;
let pending: { name: string; data: ResultBatch; opts: typeof opts }[] = [];
while (made < count) {
  const region = regions[batchNo % regions.length] as string;
  const items = Array.from({ length: Math.min(batchSize, count - made) }, () => record(region));
  const data: ResultBatch = { v: RESULT_BATCH_VERSION, region, runnerId: `bench-${region}`, items };
  // Checked as the collector will: a record it would refuse would make this benchmark lie.
  if (batchNo < 3 || batchNo % 50 === 0) {
    resultBatchSchema.parse(JSON.parse(JSON.stringify(data)));
    for (const item of items) attemptRecordSchema.parse(item.record);
  }
  pending.push({ name: 'batch', data, opts });
  made += items.length;
  batchNo++;
  if (pending.length === 20 || made >= count) {
    await queue.addBulk(pending);
    pending = [];
  }
}
const waiting = await queue.getWaitingCount();
process.stdout.write(
  `${JSON.stringify({ records: made, batches: batchNo, waiting, fillSeconds: +((performance.now() - started) / 1000).toFixed(1) })}\n`,
);
await queue.close();
admin.disconnect();
