import { writeFileSync } from 'node:fs';

// Preloaded into a service under test (`node --import .../heap-report.ts main.ts runner ...`):
// every second it samples process.memoryUsage() and writes the samples so far (at most the last
// 600) to the file named by SYNACK_BENCH_HEAP_FILE, as { samples: [[atMs, rssMiB, heapUsedMiB,
// heapTotalMiB, externalMiB]] }. Nothing else in the process changes; the timer is unref'd.
const file = process.env.SYNACK_BENCH_HEAP_FILE;
if (file) {
  const samples: number[][] = [];
  const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  setInterval(() => {
    const m = process.memoryUsage();
    samples.push([Date.now(), mib(m.rss), mib(m.heapUsed), mib(m.heapTotal), mib(m.external)]);
    if (samples.length > 600) samples.shift();
    writeFileSync(file, JSON.stringify({ samples }));
  }, 1000).unref();
}
