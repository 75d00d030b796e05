import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatConfigIssue } from '@synack/shared/config/parse-config';
import { LAB_SERVICE_NAME, LAB_TOOLS, startAgentLab } from '../support/agent-lab-stack.ts';
import { type LabCase, parseLabCase } from './lab-case.ts';
import { type CaseResult, type CaseStack, runLabCase, waitLabHealthy } from './run-lab-case.ts';

/** The port of the lab's service. */
export const LAB_PORT = 8080;

/** How the lab probes: the issue's 10 s interval by default. */
export type CaseLabTiming = { interval: string; timeout: string; failingInterval: string; agentInterval: string };
export const DEFAULT_TIMING: CaseLabTiming = {
  interval: '10s',
  // Above the router's ARP/ND give-up time (≈3 s), so a dead host's ICMP arrives in time.
  timeout: '4s',
  failingInterval: '2s',
  // One snapshot a second: the first failed SYN is in the agent's counters as soon as it is seen.
  agentInterval: '1s',
};

/**
 * Variables every case command sees: the lab's addresses (see infra/lab/README.md), the port,
 * and LAB_TOOLS, the folder of the lab's helper scripts.
 */
export const CASE_ENV: Readonly<Record<string, string>> = {
  PORT: String(LAB_PORT),
  SERVER_V4: '203.0.113.10',
  SERVER_V6: '2001:db8:5::10',
  A_V4: '10.1.0.2',
  A_V6: '2001:db8:a::2',
  B_V4: '10.2.0.2',
  B_V6: '2001:db8:b::2',
  ROUTER_A_V4: '10.1.0.1',
  ROUTER_A_V6: '2001:db8:a::1',
  ROUTER_B_V4: '10.2.0.1',
  ROUTER_B_V6: '2001:db8:b::1',
  ROUTER_SERVER_V4: '203.0.113.1',
  ROUTER_SERVER_V6: '2001:db8:5::1',
  LAB_TOOLS,
  // ip, nft and ss live in sbin, which some shells leave off PATH.
  PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`,
};

/** Reads and checks case files; throws one error listing every issue of every file. */
export async function loadLabCases(files: readonly string[]): Promise<LabCase[]> {
  const cases: LabCase[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const path = resolve(file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      problems.push(`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    const parsed = parseLabCase(text, path);
    if (parsed.ok) cases.push(parsed.labCase);
    else problems.push(...parsed.issues.map(formatConfigIssue));
  }
  if (problems.length > 0) throw new Error(`bad lab case file:\n${problems.join('\n')}`);
  return cases;
}

/**
 * The lab that runs cases: the two-region lab with synack deployed (runners, agent, collectors,
 * scheduler, Redis), probing one dual-stack target, `web`, named `web.lab` (both server addresses).
 */
export async function startCaseLab(
  timing: CaseLabTiming = DEFAULT_TIMING,
): Promise<CaseStack & { stop(): Promise<void> }> {
  const stack = await startAgentLab({
    prefix: 'lab',
    port: LAB_PORT,
    defaults: `{ interval: ${timing.interval}, timeout: ${timing.timeout}, failing_interval: ${timing.failingInterval} }`,
    targets: `  - { name: web, address: ${LAB_SERVICE_NAME}, port: ${LAB_PORT} }`,
    agentTargets: ['web'],
    agentInterval: timing.agentInterval,
  });
  return { ...stack, env: CASE_ENV, target: 'web' };
}

/** Runs `cases` one after another in one lab, `repeat` times each; calls `onResult` as each ends. */
export async function runCases(
  stack: CaseStack,
  cases: readonly LabCase[],
  options: { repeat?: number; injectDelayMs?: () => number; onResult?: (result: CaseResult, run: number) => void } = {},
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  await waitLabHealthy(stack, Date.now());
  for (let run = 1; run <= (options.repeat ?? 1); run++) {
    for (const labCase of cases) {
      const result = await runLabCase(
        stack,
        labCase,
        options.injectDelayMs ? { injectDelayMs: options.injectDelayMs } : {},
      );
      results.push(result);
      options.onResult?.(result, run);
    }
  }
  return results;
}

const scopeText = (scope: { families: readonly string[]; regions: readonly string[] }) =>
  scope.families.length + scope.regions.length === 0
    ? ''
    : ` (${scope.families.join(',') || '-'} ${scope.regions.join(',') || '-'})`;

/** One line per result: the case, expected against got, the time it took, and what went wrong. */
export function formatCaseResult(result: CaseResult): string {
  const expected = `${result.expected.verdict}${scopeText(result.expected.scope)}`;
  const got = result.got ? `${result.got.verdict}${scopeText(result.got.scope)}` : 'nothing';
  const time = result.secondsToVerdict === null ? '' : ` in ${result.secondsToVerdict.toFixed(1)} s`;
  const extra = [
    result.wrong.length > 0 ? `wrong verdicts published: ${result.wrong.join(', ')}` : '',
    result.error ?? '',
    !result.pass && result.timeline.length > 0
      ? `published: ${result.timeline.map((t) => `${t.seconds.toFixed(1)} s ${t.verdict}${scopeText(t.scope)}`).join(', ')}`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `${result.pass ? 'PASS' : 'FAIL'} ${result.case}: expected ${expected}, got ${got}${time}${extra ? ` (${extra})` : ''}`;
}
