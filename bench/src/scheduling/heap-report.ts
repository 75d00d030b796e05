import { writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

// Preloaded into a service under test (`node --import .../heap-report.ts main.ts runner ...`):
// every second it writes the process's memory figures, and the largest seen so far, to the file
// named by SYNACK_BENCH_HEAP_FILE. Nothing else in the process changes; the timer is unref'd.
const file = process.env.SYNACK_BENCH_HEAP_FILE;
if (file) {
  const max = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  const write = () => {
    const now = process.memoryUsage();
    for (const key of Object.keys(max) as (keyof typeof max)[]) max[key] = Math.max(max[key], now[key]);
    const heap = getHeapStatistics();
    const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
    const row = {
      atMs: Date.now(),
      nowMiB: Object.fromEntries(Object.entries(now).map(([k, v]) => [k, mib(v)])),
      maxMiB: Object.fromEntries(Object.entries(max).map(([k, v]) => [k, mib(v)])),
      heapSizeLimitMiB: mib(heap.heap_size_limit),
    };
    writeFileSync(file, `${JSON.stringify(row)}\n`);
  };
  setInterval(write, 1000).unref();
}
