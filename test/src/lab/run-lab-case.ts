import type { ChildProcess } from 'node:child_process';
import type { DiagnosisRecord } from '@synack/collector/diagnosis/diagnosis-state';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { Verdict } from '@synack/shared/verdict';
import { DEFAULT_LISTENER, type LabCase, type LabCommand, type LabListener } from './lab-case.ts';
import { stopProcess } from './process-group.ts';
import type { RegionLab } from './region-lab.ts';
import { runCommand } from './run-command.ts';

/** What a case needs of a running lab stack (see test/src/support/agent-lab-stack.ts). */
export type CaseStack = {
  lab: RegionLab;
  api: { get<T>(path: string): Promise<T> };
  setListener(spec: LabListener): Promise<void>;
  port: number;
  /** Variables every case command sees (addresses, port, LAB_TOOLS). */
  env: Readonly<Record<string, string>>;
  /** The dual-stack target the lab probes. */
  target: string;
};

/** What happened in one run of one case. */
export type CaseResult = {
  case: string;
  file: string;
  expected: LabCase['expect'];
  /** The verdict synack settled on (`ok` when no diagnosis opened), or null when it never said. */
  got: { verdict: Verdict; scope: { families: string[]; regions: string[] } } | null;
  /** From the fault's injection to the expected verdict and scope being published. */
  secondsToVerdict: number | null;
  /** Other verdicts published while the fault held (`unknown` excluded): each one is a wrong answer. */
  wrong: Verdict[];
  /** Every verdict and scope published while the fault held, with seconds since the injection. */
  timeline: { seconds: number; verdict: Verdict; scope: { families: string[]; regions: string[] } }[];
  pass: boolean;
  /** Why the case could not run (a fault command failed...), when it could not. */
  error?: string;
};

export type RunCaseOptions = {
  /**
   * A delay before the fault, drawn per case: faults do not wait for the probes' phase, so a
   * benchmark injects them at a random point of the interval.
   */
  injectDelayMs?: () => number;
  /** How long to wait for the expected verdict. Default 60 s. */
  verdictTimeoutMs?: number;
  /** How long to wait for the lab to be healthy before, and again after undo. Default 60 s. */
  healthyTimeoutMs?: number;
  now?: () => number;
};

const POLL_MS = 200;
const ANSWERED = new Set(['synack', 'established']);
const sameScope = (a: { families: readonly string[]; regions: readonly string[] }, b: typeof a) =>
  a.families.join() === b.families.join() && a.regions.join() === b.regions.join();

/**
 * Runs one case against a healthy lab (see {@link waitLabHealthy}): injects the fault, watches the target's diagnoses until the
 * expected verdict and scope are published (or, for `ok`, until two rounds of probes after the
 * fault have all answered with no diagnosis opened), then undoes the fault and waits for health again.
 * Records every other verdict published meanwhile. A failing fault command ends the case with
 * `error`, after its undo.
 */
export async function runLabCase(
  stack: CaseStack,
  labCase: LabCase,
  options: RunCaseOptions = {},
): Promise<CaseResult> {
  const now = options.now ?? Date.now;
  const base = { case: labCase.name, file: labCase.file, expected: labCase.expect };
  const helpers: ChildProcess[] = [];
  if (options.injectDelayMs) await sleep(options.injectDelayMs());
  const injectedAt = now();
  let result: CaseResult;
  try {
    if (labCase.fault.listener !== undefined) await stack.setListener(labCase.fault.listener);
    for (const command of labCase.fault.run) await runIn(stack, command);
    for (const command of labCase.fault.spawn) helpers.push(await spawnIn(stack, command));
    for (const command of labCase.fault.ready) await pollUntilOk(stack, command, 20_000, now);
    result = await watchVerdict(stack, labCase, injectedAt, options.verdictTimeoutMs ?? 60_000, now);
  } catch (error) {
    result = {
      ...base,
      got: null,
      secondsToVerdict: null,
      wrong: [],
      timeline: [],
      pass: false,
      error: (error as Error).message,
    };
  }
  for (const helper of helpers) await stopProcess(helper);
  if (labCase.fault.listener !== undefined) await stack.setListener(DEFAULT_LISTENER);
  const undoErrors: string[] = [];
  for (const command of labCase.undo.run) {
    await runIn(stack, command).catch((error: Error) => undoErrors.push(error.message));
  }
  const undoneAt = now();
  if (undoErrors.length > 0)
    return { ...result, pass: false, error: [result.error, ...undoErrors].filter(Boolean).join('; ') };
  await waitLabHealthy(stack, undoneAt, options.healthyTimeoutMs ?? 60_000, now);
  return result;
}

async function watchVerdict(
  stack: CaseStack,
  labCase: LabCase,
  injectedAt: number,
  timeoutMs: number,
  now: () => number,
): Promise<CaseResult> {
  const expected = labCase.expect;
  const wrong = new Set<Verdict>();
  const deadline = now() + timeoutMs;
  const base = { case: labCase.name, file: labCase.file, expected };
  // Every change published since the fault, oldest first (the log holds one entry per change).
  const opened = async () => {
    const { log } = await stack.api.get<{ log: DiagnosisRecord[] }>(`/v1/diagnoses?target=${stack.target}`);
    return log
      .filter((d) => d.openedAtMs >= injectedAt && d.status === 'open')
      .sort((x, y) => x.updatedAtMs - y.updatedAtMs);
  };
  const timeline = (entries: readonly DiagnosisRecord[]) =>
    entries.map((d) => ({ seconds: (d.updatedAtMs - injectedAt) / 1000, verdict: d.verdict, scope: d.scope }));
  // A case that did not get its answer: what it got instead (`entry`), and everything published.
  const unsettled = (entry: DiagnosisRecord | undefined, entries: readonly DiagnosisRecord[]): CaseResult => ({
    ...base,
    got: entry ? { verdict: entry.verdict, scope: entry.scope } : null,
    secondsToVerdict: null,
    wrong: [...wrong],
    timeline: timeline(entries),
    pass: false,
  });
  if (expected.verdict === 'ok') {
    // Healthy means two rounds of probes from every region, family and kind, all answered,
    // and no diagnosis opened since the fault.
    const since = now();
    while (now() < deadline) {
      const seen = await opened();
      for (const d of seen) if (d.verdict !== 'unknown') wrong.add(d.verdict);
      const attempts = await attemptsSince(stack, since);
      if (wrong.size > 0 || attempts.some((a) => !ANSWERED.has(a.outcome))) break;
      if (roundsPerSeries(attempts) >= 2) {
        return {
          ...base,
          got: { verdict: 'ok', scope: { families: [], regions: [] } },
          secondsToVerdict: null,
          wrong: [],
          timeline: [],
          pass: true,
        };
      }
      await sleep(POLL_MS);
    }
    const entries = await opened();
    return unsettled(entries[0], entries);
  }
  let entries: DiagnosisRecord[] = [];
  while (now() < deadline) {
    entries = await opened();
    for (const d of entries) if (d.verdict !== expected.verdict && d.verdict !== 'unknown') wrong.add(d.verdict);
    const match = entries.find((d) => d.verdict === expected.verdict && sameScope(d.scope, expected.scope));
    if (match) {
      // The evidence a case asks for may come later than the verdict (a traceroute, counters).
      const missing = await missingEvidence(stack, expected.evidence, deadline, now);
      return {
        ...base,
        got: { verdict: match.verdict, scope: match.scope },
        secondsToVerdict: (match.updatedAtMs - injectedAt) / 1000,
        wrong: [...wrong],
        timeline: timeline(entries),
        pass: wrong.size === 0 && missing.length === 0,
        ...(missing.length > 0 ? { error: `evidence missing: ${missing.join('; ')}` } : {}),
      };
    }
    await sleep(POLL_MS);
  }
  return unsettled(entries.at(-1), entries);
}

/** Waits until every expected text appears in the current diagnosis's evidence; returns what never did. */
async function missingEvidence(
  stack: CaseStack,
  expected: readonly string[],
  deadline: number,
  now: () => number,
): Promise<string[]> {
  let missing = [...expected];
  while (missing.length > 0) {
    const { current } = await stack.api.get<{ current: DiagnosisRecord[] }>(`/v1/diagnoses?target=${stack.target}`);
    const lines = (current[0]?.evidence ?? []).map((e) => `${e.source} ${e.fact} ${e.value}`);
    missing = missing.filter((text) => !lines.some((line) => line.includes(text)));
    if (missing.length === 0 || now() >= deadline) break;
    await sleep(POLL_MS);
  }
  return missing;
}

/** The fewest completed attempts any region × family × kind series has in `attempts`. */
function roundsPerSeries(attempts: readonly (AttemptRecord & { region: string })[]): number {
  const counts = new Map<string, number>();
  for (const region of ['a', 'b'])
    for (const family of ['v4', 'v6'])
      for (const kind of ['syn', 'connect']) counts.set(`${region}/${family}/${kind}`, 0);
  for (const a of attempts) {
    const key = `${a.region}/${a.target.family}/${a.kind}`;
    if (counts.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Math.min(...counts.values());
}

async function attemptsSince(stack: CaseStack, sinceMs: number): Promise<(AttemptRecord & { region: string })[]> {
  const out: (AttemptRecord & { region: string })[] = [];
  for (const region of ['a', 'b']) {
    const { attempts } = await stack.api.get<{ attempts: AttemptRecord[] }>(
      `/v1/attempts?target=${stack.target}&region=${region}&limit=100`,
    );
    for (const a of attempts) if (Date.parse(a.startedAt) >= sinceMs) out.push({ ...a, region });
  }
  return out;
}

/**
 * Healthy from `sinceMs` on: every series has an attempt that started since, all of those answered,
 * and no diagnosis is open. Attempts in flight when a fault was undone started before `sinceMs`,
 * so a late timeout of theirs cannot pass for health, nor for the next case's failure.
 */
export async function waitLabHealthy(
  stack: CaseStack,
  sinceMs: number,
  timeoutMs = 60_000,
  now: () => number = Date.now,
): Promise<void> {
  const deadline = now() + timeoutMs;
  let why = '';
  while (now() < deadline) {
    const { current } = await stack.api.get<{ current: DiagnosisRecord[] }>(`/v1/diagnoses?target=${stack.target}`);
    const open = current.filter((d) => d.status === 'open');
    const attempts = await attemptsSince(stack, sinceMs);
    const failing = attempts.filter((a) => !ANSWERED.has(a.outcome));
    const rounds = roundsPerSeries(attempts);
    if (open.length === 0 && failing.length === 0 && rounds >= 1) return;
    why =
      open.length > 0
        ? `diagnosis still open: ${open[0]?.verdict}`
        : failing.length > 0
          ? `failing: ${failing.map((a) => `${a.region}/${a.target.family}/${a.kind} ${a.outcome}`).join(', ')}`
          : 'not every series probed yet';
    await sleep(POLL_MS);
  }
  throw new Error(`the lab did not become healthy within ${timeoutMs / 1000} s (${why})`);
}

function shellArgv(command: LabCommand, env: Readonly<Record<string, string>>): string[] {
  // `env` puts the case variables in the command's environment inside the namespace.
  return ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', '-ec', command.run];
}

async function runIn(stack: CaseStack, command: LabCommand): Promise<void> {
  const result = await runCommand([...netnsExec(stack, command), ...shellArgv(command, stack.env)], {
    timeoutMs: 30_000,
  });
  if (result.code !== 0) {
    throw new Error(
      `${command.host}: \`${command.run.trim()}\` failed (exit ${result.code ?? result.signal}): ${result.stderr.trim().slice(-500)}`,
    );
  }
}

/** Starts a helper; it is ready once it prints its first line (and fails the case if it exits first). */
async function spawnIn(stack: CaseStack, command: LabCommand): Promise<ChildProcess> {
  const argv = shellArgv(command, stack.env);
  const child = stack.lab.spawn(command.host, argv);
  child.stderr?.resume();
  await firstLine(child, 10_000, `${command.host}: helper \`${command.run.trim()}\``);
  child.stdout?.resume();
  return child;
}

function firstLine(child: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what} printed nothing within ${timeoutMs / 1000} s`)), timeoutMs);
    const onData = () => done();
    const onExit = (code: number | null) => done(new Error(`${what} exited (code ${code}) before it was ready`));
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.once('data', onData);
    child.once('exit', onExit);
  });
}

async function pollUntilOk(stack: CaseStack, command: LabCommand, timeoutMs: number, now: () => number): Promise<void> {
  const deadline = now() + timeoutMs;
  let last = '';
  while (now() < deadline) {
    const result = await runCommand([...netnsExec(stack, command), ...shellArgv(command, stack.env)]);
    if (result.code === 0) return;
    last = result.stderr.trim().slice(-300);
    await sleep(POLL_MS);
  }
  throw new Error(
    `${command.host}: ready check \`${command.run.trim()}\` did not succeed within ${timeoutMs / 1000} s ${last}`,
  );
}

function netnsExec(stack: CaseStack, command: LabCommand): string[] {
  return ['ip', 'netns', 'exec', stack.lab.names[command.host]];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
