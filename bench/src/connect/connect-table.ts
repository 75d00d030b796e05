import { readFileSync } from 'node:fs';
import type { RateReport } from './rate-report.ts';

// Reads the JSON lines of bench/connect-vs-blackbox (file argument, or stdin) and prints a
// Markdown table: for every concurrency, synack's run beside each exporter run at that
// concurrency, with the ratio of probes per CPU-second.
const text = readFileSync(process.argv[2] ?? 0, 'utf8');
const reports = text
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as RateReport);

const usPerProbe = (seconds: number, r: RateReport) => Math.round((seconds / r.count) * 1e6);
const cpuUsPerProbe = (r: RateReport) => `${usPerProbe(r.cpuSeconds, r)} (${usPerProbe(r.systemCpuSeconds, r)} sys)`;
const done = (r: RateReport) => `${r.established}/${r.count}`;
const lines = [
  '| C | compared with | synack probes/CPU-s | its probes/CPU-s | ratio | synack CPU µs/probe | its CPU µs/probe | synack probes/s | its probes/s | handshakes synack / it | peak RSS MiB synack / it |',
  '|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
];
const concurrencies = [...new Set(reports.map((r) => r.concurrency))].sort((a, b) => b - a);
for (const concurrency of concurrencies) {
  const runs = reports.filter((r) => r.concurrency === concurrency);
  const synack = runs.find((r) => r.tool === 'synack-connect');
  if (!synack) continue;
  for (const other of runs.filter((r) => r !== synack)) {
    const ratio = other.probesPerCpuSecond > 0 ? synack.probesPerCpuSecond / other.probesPerCpuSecond : 0;
    lines.push(
      `| ${concurrency} | ${other.tool} | ${synack.probesPerCpuSecond} | ${other.probesPerCpuSecond} | ` +
        `**${ratio.toFixed(2)}×** | ${cpuUsPerProbe(synack)} | ${cpuUsPerProbe(other)} | ` +
        `${synack.probesPerSecond} | ${other.probesPerSecond} | ${done(synack)} / ${done(other)} | ` +
        `${synack.peakRssMiB} / ${other.peakRssMiB} |`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
