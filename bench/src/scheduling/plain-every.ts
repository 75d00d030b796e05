import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { parseInfo, percentile, round1, sleep } from './proc-sample.ts';

// The baseline of bench/scheduling: N plain Job Schedulers (`every` only, one per target, no
// slots), and a worker that does nothing but note when each job started against the time its
// iteration was due (the `<millis>` of its `repeat:<id>:<millis>` id). `--phase creation` is
// `upsertJobScheduler(id, { every })` as is (BullMQ 6 keeps the phase of the creation time);
// `--phase boundary` gives every scheduler `offset: every`, which BullMQ aligns on the interval's
// boundary: all N fire at once. Prints one JSON object and writes it to --out.
const { values } = parseArgs({
  options: {
    'redis-port': { type: 'string' },
    schedulers: { type: 'string', default: '10000' },
    'every-ms': { type: 'string', default: '10000' },
    phase: { type: 'string', default: 'creation' },
    concurrency: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '20' },
    duration: { type: 'string', default: '60' },
    out: { type: 'string' },
  },
});
if (!values['redis-port'] || !values.out) throw new TypeError('usage: plain-every.ts --redis-port P --out FILE');
if (values.phase !== 'creation' && values.phase !== 'boundary') throw new RangeError('--phase creation|boundary');
const count = Number(values.schedulers);
const everyMs = Number(values['every-ms']);
const durationMs = Number(values.duration) * 1000;
// BullMQ leaves connections it was given open on close(): each is kept to be disconnected.
const clients: Redis[] = [];
const connection = () => {
  const client = new Redis({ port: Number(values['redis-port']), host: '127.0.0.1', maxRetriesPerRequest: null });
  clients.push(client);
  return client;
};
const prefix = 'plain';
const name = `every-${values.phase}`;
const queue = new Queue(name, { connection: connection(), prefix });
const log = (message: string) => process.stderr.write(`plain-every: ${message}\n`);

const createStart = Date.now();
for (let at = 0; at < count; at += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, count - at) }, (_, i) =>
      queue.upsertJobScheduler(
        `t${at + i}`,
        values.phase === 'boundary' ? { every: everyMs, offset: everyMs } : { every: everyMs },
        { name: 'probe', data: { target: at + i }, opts: { removeOnComplete: true, removeOnFail: 1000 } },
      ),
    ),
  );
}
const createMs = Date.now() - createStart;
log(`${count} schedulers in ${createMs} ms`);

let window: { from: number; to: number } | undefined;
const lateness: number[] = [];
const phases = new Set<number>();
const worker = new Worker(
  name,
  async (job: Job) => {
    const now = Date.now();
    const due = Number(/:(\d+)$/.exec(job.id ?? '')?.[1]);
    if (window && due >= window.from && due < window.to) {
      lateness.push(now - due);
      phases.add(due % everyMs);
    }
  },
  { connection: connection(), prefix, concurrency: Number(values.concurrency) },
);
worker.on('error', (error) => log(`worker error: ${error.message}`));

const admin = connection();
const redisCpu = async () => {
  const info = parseInfo(await admin.info('cpu'));
  return Number(info.used_cpu_user) + Number(info.used_cpu_sys);
};
await sleep(Number(values.warmup) * 1000);
const cpu0 = process.cpuUsage();
const redis0 = await redisCpu();
const t0 = Date.now();
window = { from: t0, to: t0 + durationMs };
await sleep(durationMs);
const wallS = (Date.now() - t0) / 1000;
const redis1 = await redisCpu();
const cpu1 = process.cpuUsage(cpu0);
// Jobs due at the end of the window may still be waiting: give them the time to start.
await sleep(5000);
await worker.close();
const memory = parseInfo(await admin.info('memory'));
await queue.obliterate({ force: true }).catch(() => {});
await queue.close();
for (const client of clients) client.disconnect();

const sorted = Float64Array.from(lateness).sort();
const result = {
  tool: `plain-every (${values.phase})`,
  schedulers: count,
  everyMs,
  workerConcurrency: Number(values.concurrency),
  createSeconds: round1(createMs / 1000),
  distinctPhasesMs: phases.size,
  windowSeconds: round1(wallS),
  jobsDueInWindow: { expected: count * Math.round(durationMs / everyMs), started: sorted.length },
  lateness: {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? null,
    over100Ms: sorted.filter((x) => x > 100).length,
  },
  redis: {
    cpuCores: +((redis1 - redis0) / wallS).toFixed(3),
    usedMemoryMiB: round1(Number(memory.used_memory) / 1048576),
  },
  workerCpuCores: +((cpu1.user + cpu1.system) / 1e6 / wallS).toFixed(3),
};
await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
