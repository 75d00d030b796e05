import type { DiagnosisRecord } from '@synack/collector/diagnosis/diagnosis-state';
import { loadConfig } from '@synack/shared/config/load-config';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import { Command } from 'commander';
import type { CliServices } from './cli-services.ts';
import { formatDiagnosis } from './diagnosis-text.ts';
import { collectorUrl } from './listen-address.ts';
import { runOnDemand } from './on-demand-command.ts';

/** `synack diagnose TARGET [--fresh] [--json]`: why handshakes to a target fail, from the collector. */
export function diagnoseCommand(services: CliServices): Command {
  return new Command('diagnose')
    .description('say why handshakes to a target fail: the verdict, its evidence and what to check next')
    .argument('<target>', 'a configured target name')
    .option('--config <file>', 'the synack YAML config (its collector.listen is the API)')
    .option('--collector <url>', 'the collector API base URL')
    .option('--fresh', 'probe it from every region first (needs --config), then diagnose')
    .option('--json', 'print the diagnosis record as JSON')
    .action(async (target: string, flags: { config?: string; collector?: string; fresh?: boolean; json?: boolean }) => {
      if (!flags.collector && !flags.config) throw services.usageError('give --collector URL or --config FILE');
      let base = flags.collector;
      if (!base && flags.config) {
        base = collectorUrl((await loadConfig(flags.config)).collector.listen);
      }
      const url = `${(base as string).replace(/\/+$/, '')}/v1/diagnoses?target=${encodeURIComponent(target)}`;
      const read = async (): Promise<DiagnosisRecord | null> => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
          if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
          return ((await response.json()) as { current: DiagnosisRecord[] }).current[0] ?? null;
        } catch (cause) {
          throw new SynackError(
            ErrorCode.socketFailed,
            `cannot read diagnoses from ${base}: ${(cause as Error).message}`,
            {
              cause,
            },
          );
        }
      };
      let record: DiagnosisRecord | null;
      if (flags.fresh) {
        if (!flags.config) throw services.usageError('--fresh needs --config (to reach the runners)');
        services.err(`probing ${target} from every region first…`);
        const probedAt = Date.now();
        const result = await runOnDemand(
          target,
          { regions: 'all', config: flags.config, kinds: ['syn', 'connect'], timeoutMs: 3000, families: ['v4', 'v6'] },
          {
            ...services,
            out: () => {},
          },
        );
        // The collector re-diagnoses failing targets every second (and waits for the agent's
        // snapshot): read until the diagnosis reflects these probes, or a few seconds pass.
        const deadline = Date.now() + (result === 0 ? 3000 : 12_000);
        record = await read();
        while (!(record && record.updatedAtMs >= probedAt) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          record = await read();
        }
      } else {
        record = await read();
      }
      services.out(flags.json ? JSON.stringify(record) : formatDiagnosis(record, target, Date.now()));
      process.exitCode = record && record.status === 'open' ? 1 : 0;
    });
}
