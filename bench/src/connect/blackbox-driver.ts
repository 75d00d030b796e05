import { Agent, get } from 'node:http';
import { parseArgs } from 'node:util';
import { benchTarget } from './bench-target.ts';
import { procUsage } from './proc-stat.ts';
import { rateReport } from './rate-report.ts';
import { runPool } from './run-pool.ts';

// Drives a running prometheus-blackbox-exporter: N `/probe` requests at a fixed concurrency over
// keep-alive connections, each checked for `probe_success 1`, and prints one JSON line
// (rate-report.ts). Run it inside the bench client namespace, where the exporter listens on
// loopback. Only the EXPORTER's CPU is counted (from /proc), not this driver's: the prober's CPU
// alone is what is compared for both tools, as a scheduler driving probes would exist for either.
const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:9115' },
    // Names the run in the report, e.g. to tell exporter settings apart.
    tool: { type: 'string', default: 'blackbox_exporter' },
    pid: { type: 'string' },
    module: { type: 'string', default: 'tcp_connect' },
    count: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '1000' },
    offset: { type: 'string', default: '0' },
  },
});
if (!values.pid) throw new TypeError('--pid of the exporter is required');
const pid = Number(values.pid);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const warmup = Number(values.warmup);
const offset = Number(values.offset);
// One keep-alive connection per worker: HTTP connection setup stays out of the exporter's count.
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

/** One `/probe` request; resolves to its result name, never rejects. */
const probe = (index: number): Promise<string> => {
  const { address, port } = benchTarget(index);
  const url = `${values.url}/probe?module=${values.module}&target=${address}:${port}`;
  return new Promise((resolve) => {
    get(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        if (response.statusCode !== 200) resolve(`http_${response.statusCode}`);
        else resolve(/^probe_success 1$/m.test(body) ? 'established' : 'probe_failed');
      });
      response.on('error', () => resolve('http_error'));
    }).on('error', () => resolve('http_error'));
  });
};

const outcomes: Record<string, number> = {};
// The warm-up opens the keep-alive connections and lets the Go runtime size its heap.
await runPool(offset, warmup, concurrency, async (index) => {
  await probe(index);
});
const before = procUsage(pid);
const t0 = performance.now();
await runPool(offset + warmup, count, concurrency, async (index) => {
  const result = await probe(index);
  outcomes[result] = (outcomes[result] ?? 0) + 1;
});
const wallSeconds = (performance.now() - t0) / 1000;
const after = procUsage(pid);
agent.destroy();
const { established = 0, ...others } = outcomes;
const report = rateReport({
  tool: values.tool,
  count,
  concurrency,
  established,
  outcomes: others,
  wallSeconds,
  cpuSeconds: after.cpuSeconds - before.cpuSeconds,
  systemCpuSeconds: after.systemCpuSeconds - before.systemCpuSeconds,
  peakRssMiB: after.peakRssMiB,
});
process.stdout.write(`${JSON.stringify(report)}\n`);
