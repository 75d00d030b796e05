import { Command } from 'commander';
import { durationOption, integerOption } from './cli-options.ts';
import type { CliServices } from './cli-services.ts';

/** The parts of the lab (test/src/lab) this command drives; loaded only when it runs. */
type LabModule = {
  loadLabCases(files: readonly string[]): Promise<unknown[]>;
  startCaseLab(timing: {
    interval: string;
    timeout: string;
    failingInterval: string;
    agentInterval: string;
  }): Promise<{ stop(): Promise<void> } & object>;
  runCases(
    stack: object,
    cases: readonly unknown[],
    options: {
      repeat?: number;
      injectDelayMs?: () => number;
      onResult?: (result: { pass: boolean }, run: number) => void;
    },
  ): Promise<{ pass: boolean }[]>;
  formatCaseResult(result: object): string;
};
type Availability = { labAvailability(): { ok: true } | { ok: false; why: string } };

// A variable specifier: the lab lives in the test workspace, which a deployment may not carry.
const LAB = '@synack/test/lab/case-lab';
const AVAILABILITY = '@synack/test/lab/lab-availability';

/**
 * `synack lab run FILE...`: runs failure cases (infra/lab/README.md) in a network-namespace lab
 * built for the run, with synack deployed in it, and prints expected against got for each.
 */
export function labCommand(services: CliServices): Command {
  const lab = new Command('lab').description('the network-namespace lab of failure cases (needs root)');
  lab
    .command('run')
    .description('run lab case files and print expected against got (exit 1 if any case fails)')
    .argument('<files...>', 'case files (YAML; see infra/lab/README.md)')
    .option('--interval <duration>', 'probe interval', '10s')
    .option('--timeout <duration>', 'probe timeout (above 3 s, for a dead host’s ICMP)', '4s')
    .option('--repeat <n>', 'run every case this many times', '1')
    .option('--jitter', 'inject each fault at a random point of the interval (for timing)')
    .option('--json', 'print one JSON result per line')
    .action(
      async (
        files: string[],
        flags: { interval: string; timeout: string; repeat: string; jitter?: boolean; json?: boolean },
      ) => {
        const interval = durationOption('--interval', flags.interval, { min: 1000 });
        const timeout = durationOption('--timeout', flags.timeout, { min: 100, max: interval });
        const repeat = integerOption('--repeat', flags.repeat, 1, 100);
        let labModule: LabModule;
        let availability: Availability;
        try {
          labModule = (await import(LAB)) as LabModule;
          availability = (await import(AVAILABILITY)) as Availability;
        } catch (cause) {
          throw services.usageError(
            `the lab needs the synack repository checkout (its test workspace): ${(cause as Error).message}`,
          );
        }
        const available = availability.labAvailability();
        if (!available.ok) throw services.usageError(`cannot build the lab: ${available.why}`);
        let cases: unknown[];
        try {
          cases = await labModule.loadLabCases(files);
        } catch (error) {
          throw services.usageError((error as Error).message);
        }
        services.err(`lab: ${cases.length} case(s), probing every ${flags.interval}; building the lab…`);
        const stack = await labModule.startCaseLab({
          interval: `${interval}ms`,
          timeout: `${timeout}ms`,
          failingInterval: `${Math.max(1000, Math.min(2000, interval))}ms`,
          agentInterval: '1s',
        });
        try {
          const results = await labModule.runCases(stack, cases, {
            repeat,
            ...(flags.jitter ? { injectDelayMs: () => Math.random() * interval } : {}),
            onResult: (result, run) =>
              services.out(
                flags.json
                  ? JSON.stringify({ run, ...result })
                  : `${repeat > 1 ? `[${run}] ` : ''}${labModule.formatCaseResult(result)}`,
              ),
          });
          const failed = results.filter((r) => !r.pass).length;
          services.err(`lab: ${results.length - failed} of ${results.length} passed`);
          process.exitCode = failed > 0 ? 1 : 0;
        } finally {
          await stack.stop();
        }
      },
    );
  return lab;
}
