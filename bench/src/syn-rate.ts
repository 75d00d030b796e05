import { parseArgs } from 'node:util';
import { SourceResolver } from '@synack/runners/net/source-address';
import { SynEngine } from '@synack/runners/syn/syn-engine';
import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import { expandAddresses, runPacedProbes } from './paced-probes.ts';

// Drives the SYN engine at a fixed rate against a range of ports and prints one JSON line:
// probes/s achieved, replies matched, CPU seconds per 1,000 probes, peak RSS. Run it inside the
// bench client namespace (bench/run does).
const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    ports: { type: 'string', default: '10001-11000' },
    count: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '50000' },
    timeout: { type: 'string', default: '2000' },
    records: { type: 'string' },
  },
});
if (!values.target) throw new TypeError('--target is required (an address, or an IPv4 range a.b.c.d-e)');
const [low, high] = (values.ports as string).split('-').map(Number) as [number, number];
// `192.0.2.10-109`: every address of a last-octet range, so 100 × 1,000 ports are distinct probes.
const addresses = expandAddresses(values.target);
const count = Number(values.count);
const rate = Number(values.rate);
const family = values.target.includes(':') ? 'v6' : 'v4';
const engine = new SynEngine({ rawAllowed: true, sources: new SourceResolver(600_000) });
const policy = { timeoutMs: Number(values.timeout), rtoMs: 0, maxRetransmits: 0 };

// Counters, not records: the harness must not be what dominates memory.
const outcomes: Record<string, number> = {};
const rtts: number[] = [];
const cpu0 = process.cpuUsage();
const { sendSeconds, settled } = await runPacedProbes(
  engine,
  { addresses, family, ports: [low, high], count, rate, policy },
  (_index, _at, r: SynAttemptRecord) => {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.rttUs !== null) rtts.push(r.rttUs);
  },
);
await settled;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
rtts.sort((a, b) => a - b);
engine.close();
process.stdout.write(
  `${JSON.stringify({
    tool: 'synack',
    count,
    targetRate: rate,
    probesPerSecond: Math.round(count / sendSeconds),
    matched: outcomes.synack ?? 0,
    outcomes,
    stray: engine.stats.stray,
    cpuSecondsPer1000: Number(((cpuSeconds / count) * 1000).toFixed(4)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    rttP50Us: rtts[Math.floor(rtts.length / 2)] ?? null,
    rttP99Us: rtts[Math.floor(rtts.length * 0.99)] ?? null,
  })}\n`,
);
