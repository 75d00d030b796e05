import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by where the code
// lives (synack package, node_modules package, node internals, GC, idle), as Markdown tables.
type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
};
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, json: { type: 'boolean', default: false } },
});
const file = positionals[0];
if (!file) throw new TypeError('usage: cpu-profile-summary.ts FILE.cpuprofile [--top N] [--json]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const totalUs = profile.endTime - profile.startTime;

const where = (url: string, fn: string): string => {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program (native, outside JS)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] as string;
  const own = /\/work\/main\/([^/]+)\/src\//.exec(url) ?? /\/([a-z]+)\/src\//.exec(url);
  if (own) return `synack ${own[1]}`;
  if (url.startsWith('node:') || url === '') return 'node internals / native';
  return url;
};
const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, '');
  const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const place = where(url, functionName);
  byPlace.set(place, (byPlace.get(place) ?? 0) + us);
}
const top = (map: Map<string, number>, n: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: +((us / totalUs) * 100).toFixed(1) }));
const summary = {
  profileSeconds: +(totalUs / 1e6).toFixed(2),
  byPlace: top(byPlace, 20),
  byFunction: top(byFunction, Number(values.top)),
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} else {
  process.stdout.write(`profile: ${summary.profileSeconds} s\n\n| where | self ms | % |\n|---|---:|---:|\n`);
  for (const r of summary.byPlace) process.stdout.write(`| ${r.name} | ${r.ms} | ${r.percent} |\n`);
  process.stdout.write('\n| function | self ms | % |\n|---|---:|---:|\n');
  for (const r of summary.byFunction) process.stdout.write(`| \`${r.name}\` | ${r.ms} | ${r.percent} |\n`);
}
