import { parseArgs } from 'node:util';
import { probeConnect } from '@synack/runners/connect/connect-prober';
import { SourceResolver } from '@synack/runners/net/source-address';
import { benchTarget } from './bench-target.ts';
import { rateReport } from './rate-report.ts';
import { runPool } from './run-pool.ts';

// Runs N connect probes through synack's connect prober at a fixed concurrency against the bench
// server and prints one JSON line (rate-report.ts). Run it inside the bench client namespace
// (bench/connect-vs-blackbox does). Counts this whole process's CPU, harness included: the
// blackbox side is charged only for the exporter, so any harness cost here is against synack.
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '1000' },
    // First bench-target index: runs given disjoint ranges use distinct 4-tuples (bench-target.ts).
    offset: { type: 'string', default: '0' },
    timeout: { type: 'string', default: '5000' },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const warmup = Number(values.warmup);
const offset = Number(values.offset);
const timeoutMs = Number(values.timeout);
// A TTL longer than the run: every probe after the warm-up hits the route cache, as in a
// long-running agent probing the same targets.
const sources = new SourceResolver(600_000);

const outcomes: Record<string, number> = {};
const probe = async (index: number) => {
  const record = await probeConnect({ target: benchTarget(index), timeoutMs }, sources);
  outcomes[record.outcome] = (outcomes[record.outcome] ?? 0) + 1;
};

// The warm-up lets V8 optimise the hot path and fills the route cache; it is not measured.
await runPool(offset, warmup, concurrency, async (index) => {
  await probeConnect({ target: benchTarget(index), timeoutMs }, sources);
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await runPool(offset + warmup, count, concurrency, probe);
const wallSeconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const { established = 0, ...others } = outcomes;
const report = rateReport({
  tool: 'synack-connect',
  count,
  concurrency,
  established,
  outcomes: others,
  wallSeconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  systemCpuSeconds: cpu.system / 1e6,
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
});
process.stdout.write(`${JSON.stringify(report)}\n`);
