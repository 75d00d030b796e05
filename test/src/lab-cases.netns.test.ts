import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaseLabTiming, formatCaseResult, loadLabCases, startCaseLab } from './lab/case-lab.ts';
import { requireLabOrSkip } from './lab/lab-availability.ts';
import type { LabCase } from './lab/lab-case.ts';
import { type CaseStack, runLabCase, waitLabHealthy } from './lab/run-lab-case.ts';

// Every case of infra/lab/cases, end to end in one lab: real probes from two regions over IPv4 and
// IPv6 (one dual-stack target), a real agent on the server, real collectors and Redis. Each case
// must be named with its scope, and no other verdict may be published on the way. The interval is
// shorter than the benchmark's 10 s (bench/time-to-diagnosis) to keep CI quick.
const CASES = fileURLToPath(new URL('../../infra/lab/cases/', import.meta.url));
const files = readdirSync(CASES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => `${CASES}${f}`);
const TIMING: CaseLabTiming = { interval: '4s', timeout: '4s', failingInterval: '1s', agentInterval: '1s' };

describe.skipIf(requireLabOrSkip())('the lab cases, end to end (needs root)', () => {
  let stack: CaseStack & { stop(): Promise<void> };
  let cases: LabCase[];

  beforeAll(async () => {
    cases = await loadLabCases(files);
    stack = await startCaseLab(TIMING);
    await waitLabHealthy(stack, Date.now());
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('has a case file for every case of ../shared/lab', () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });

  for (const file of files) {
    const name = file.slice(CASES.length, -'.yaml'.length);
    it(name, async () => {
      const labCase = cases.find((c) => c.file === file) as LabCase;
      const result = await runLabCase(stack, labCase);
      expect(result, formatCaseResult(result)).toMatchObject({ pass: true, wrong: [] });
      expect(result.got).toEqual({ verdict: labCase.expect.verdict, scope: labCase.expect.scope });
    }, 180_000);
  }
});
