import type { TargetStatus } from '@synack/collector/api/target-status';
import { loadConfig } from '@synack/shared/config/load-config';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import type { RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import { Command } from 'commander';
import type { CliServices } from './cli-services.ts';
import { collectorUrl } from './listen-address.ts';
import { formatStatus } from './status-table.ts';

/** Reads the collector's API: targets and live runners. */
export async function fetchStatus(baseUrl: string): Promise<{ targets: TargetStatus[]; runners: RunnerHeartbeat[] }> {
  const get = async <T>(path: string): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    } catch (cause) {
      throw new SynackError(
        ErrorCode.socketFailed,
        `cannot reach the collector at ${baseUrl}: ${(cause as Error).message}`,
        { cause },
      );
    }
    if (!response.ok)
      throw new SynackError(ErrorCode.socketFailed, `collector at ${baseUrl} answered ${response.status} for ${path}`);
    return (await response.json()) as T;
  };
  const [{ targets }, { runners }] = await Promise.all([
    get<{ targets: TargetStatus[] }>('/v1/targets'),
    get<{ runners: RunnerHeartbeat[] }>('/v1/runners'),
  ]);
  return { targets, runners };
}

/** `synack status [--config F | --collector URL]`: the collector's view as a table. */
export function statusCommand(services: CliServices): Command {
  return new Command('status')
    .description("print each target's latest outcome, 5-minute success ratio and RTT per region, and the live runners")
    .option('--config <file>', 'the synack YAML config (its collector.listen is the API)')
    .option('--collector <url>', 'the collector API base URL (e.g. http://127.0.0.1:8470)')
    .option('--json', 'print the raw JSON')
    .action(async (flags: { config?: string; collector?: string; json?: boolean }) => {
      let base = flags.collector;
      if (!base) {
        if (!flags.config) throw services.usageError('give --collector URL or --config FILE');
        base = collectorUrl((await loadConfig(flags.config)).collector.listen);
      }
      const status = await fetchStatus(base.replace(/\/+$/, ''));
      services.out(flags.json ? JSON.stringify(status) : formatStatus(status.targets, status.runners, Date.now()));
    });
}
