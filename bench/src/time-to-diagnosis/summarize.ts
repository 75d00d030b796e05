// Reads `synack lab run --json` lines on stdin and writes the time-to-diagnosis summary: per case,
// the seconds from injection to the expected verdict (p50 and max over the runs), passes, and any
// wrong verdict published. Prints a Markdown table.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type Result = {
  run: number;
  case: string;
  expected: { verdict: string };
  pass: boolean;
  secondsToVerdict: number | null;
  wrong: string[];
  error?: string;
};

const { values } = parseArgs({
  options: { out: { type: 'string' }, interval: { type: 'string' }, timeout: { type: 'string' } },
});
const text = await new Response(process.stdin as unknown as ReadableStream).text();
const results = text
  .split('\n')
  .filter((line) => line.trim().startsWith('{'))
  .map((line) => JSON.parse(line) as Result);
const byCase = new Map<string, Result[]>();
for (const r of results) byCase.set(r.case, [...(byCase.get(r.case) ?? []), r]);

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const rows = [...byCase].map(([name, runs]) => {
  const seconds = runs.flatMap((r) => (r.secondsToVerdict === null ? [] : [r.secondsToVerdict])).sort((a, b) => a - b);
  return {
    case: name,
    verdict: runs[0]?.expected.verdict ?? '',
    runs: runs.length,
    passed: runs.filter((r) => r.pass).length,
    p50: seconds.length > 0 ? percentile(seconds, 0.5) : null,
    max: seconds.length > 0 ? seconds.at(-1) : null,
    wrong: [...new Set(runs.flatMap((r) => r.wrong))],
    errors: runs.flatMap((r) => (r.error ? [r.error] : [])),
  };
});
const timed = rows.flatMap((r) => (r.max === null || r.max === undefined ? [] : [r.max]));
const summary = {
  at: new Date().toISOString(),
  interval: values.interval,
  timeout: values.timeout,
  runs: results.length,
  passed: results.filter((r) => r.pass).length,
  worstSeconds: timed.length > 0 ? Math.max(...timed) : null,
  aim: 'every case within 15 s, no wrong verdict',
  cases: rows,
  // Every run as the lab printed it, with the verdicts published on the way.
  results,
};
if (values.out) writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
const fmt = (s: number | null | undefined) => (s === null || s === undefined ? '–' : s.toFixed(1));
process.stdout.write(
  [
    `time to diagnosis at ${values.interval} (timeout ${values.timeout}): ${summary.passed}/${summary.runs} passed, worst ${fmt(summary.worstSeconds)} s`,
    '',
    '| case | verdict | p50 s | max s | passed | wrong verdicts |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.verdict} | ${r.verdict === 'ok' ? 'n/a' : fmt(r.p50)} | ${r.verdict === 'ok' ? 'n/a' : fmt(r.max)} | ${r.passed}/${r.runs} | ${r.wrong.join(', ') || 'none'} |`,
    ),
    '',
  ].join('\n'),
);
