import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseInfo, procSample, round1, sleep } from '../scheduling/proc-sample.ts';

// The measuring side of bench/collector-ingest: polls the results queue every 50 ms from the
// moment the collector starts until it is drained (nothing waiting, active or delayed), and
// reports results/s over the drain (first batch taken to queue empty), the collector's CPU
// seconds over the same span (and from its start), Redis's CPU, and the collector's own count of
// what it ingested (/healthz). Prints one JSON line and writes it to --out.
const { values } = parseArgs({
  options: {
    'redis-port': { type: 'string' },
    'pid-file': { type: 'string' },
    'collector-out': { type: 'string' },
    expect: { type: 'string' },
    'timeout-s': { type: 'string', default: '900' },
    prefix: { type: 'string', default: 'synack' },
    meta: { type: 'string', default: '{}' },
    out: { type: 'string' },
  },
});
if (!values['redis-port'] || !values['pid-file'] || !values.expect || !values.out) {
  throw new TypeError('usage: drain-watch.ts --redis-port P --pid-file F --collector-out F --expect N --out FILE');
}
const expect = Number(values.expect);
const q = `${values.prefix}:results`;
const redis = new Redis({ port: Number(values['redis-port']), host: '127.0.0.1' });
const redisCpu = async () => {
  const info = parseInfo(await redis.info('cpu'));
  return Number(info.used_cpu_user) + Number(info.used_cpu_sys);
};
const depth = async () => {
  const replies = (await redis.multi().llen(`${q}:wait`).llen(`${q}:active`).zcard(`${q}:delayed`).exec()) ?? [];
  const [wait, active, delayed] = replies.map(([, n]) => Number(n));
  return { wait: wait ?? 0, active: active ?? 0, delayed: delayed ?? 0 };
};

// Ready before the collector starts (bench/collector-ingest waits for this line), so that the
// queue is seen full and the collector's start-up is timed too.
const initial = await depth();
// Command statistics from here on: what the collector's ingest costs Redis, command by command.
await redis.config('RESETSTAT');
process.stderr.write('ready\n');
let pid = 0;
for (let i = 0; i < 600 && !pid; i++) {
  pid = Number(readFileIfAny(values['pid-file']).trim());
  if (!pid) await sleep(10);
}
if (!pid) throw new Error('the collector did not start');
const spawned = Date.now();
let before = { atMs: spawned, cpu: procSample(pid).cpuSeconds, redisCpu: await redisCpu() };
let first: typeof before | undefined;
const deadline = spawned + Number(values['timeout-s']) * 1000;
let now = await depth();
let maxRss = 0;
while (Date.now() < deadline) {
  now = await depth();
  const sample = { atMs: Date.now(), cpu: procSample(pid).cpuSeconds, redisCpu: await redisCpu() };
  maxRss = Math.max(maxRss, procSample(pid).rssMiB);
  if (!first && now.wait < initial.wait) first = before;
  if (first && now.wait === 0 && now.active === 0 && now.delayed === 0) {
    before = sample;
    break;
  }
  before = sample;
  await sleep(50);
}
const end = before;
if (!first || now.wait + now.active + now.delayed > 0) throw new Error(`not drained in time: ${JSON.stringify(now)}`);
// The last batch's writes are done when its job leaves `active`; the counter is the collector's.
const url = /http:\/\/[0-9.:]+/.exec(readFileIfAny(values['collector-out'] ?? ''))?.[0];
const health = url ? ((await (await fetch(`${url}/healthz`)).json()) as { ingested: number; rejected: number }) : null;
const failed = await redis.zcard(`${q}:failed`);
const memory = parseInfo(await redis.info('memory'));
// cmdstat_evalsha:calls=..,usec=..,usec_per_call=..: scripts' inner commands are counted on their own too.
const commands = Object.entries(parseInfo(await redis.info('commandstats')))
  .map(([key, value]) => {
    const f = Object.fromEntries(value.split(',').map((kv) => kv.split('=')));
    return { command: key.replace(/^cmdstat_/, ''), calls: Number(f.calls), usec: Number(f.usec) };
  })
  .sort((a, b) => b.usec - a.usec)
  .slice(0, 15)
  .map((c) => ({ ...c, usecPerCall: +(c.usec / c.calls).toFixed(2), usecPerResult: +(c.usec / expect).toFixed(2) }));
const proc = procSample(pid);
const drainS = (end.atMs - first.atMs) / 1000;
const result = {
  ...JSON.parse(values.meta),
  records: expect,
  batchesQueued: initial.wait,
  drainSeconds: +drainS.toFixed(2),
  resultsPerSecond: Math.round(expect / drainS),
  fromStartSeconds: +((end.atMs - spawned) / 1000).toFixed(2),
  collectorCpuSeconds: +(end.cpu - first.cpu).toFixed(2),
  collectorCpuSecondsFromStart: +end.cpu.toFixed(2),
  collectorCpuCores: +((end.cpu - first.cpu) / drainS).toFixed(3),
  collectorCpuUsPerResult: Math.round(((end.cpu - first.cpu) / expect) * 1e6),
  collectorRssMiB: round1(maxRss),
  collectorHwmMiB: proc.hwmMiB,
  redisCpuSeconds: +(end.redisCpu - first.redisCpu).toFixed(2),
  redisCpuCores: +((end.redisCpu - first.redisCpu) / drainS).toFixed(3),
  redisCpuUsPerResult: Math.round(((end.redisCpu - first.redisCpu) / expect) * 1e6),
  redisUsedMemoryMiB: round1(Number(memory.used_memory) / 1048576),
  ingested: health?.ingested ?? null,
  rejected: health?.rejected ?? null,
  failedBatches: failed,
  redisCommands: commands,
};
await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
redis.disconnect();

function readFileIfAny(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
