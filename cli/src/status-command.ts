import type { TargetStatus } from '@synack/collector/api/target-status';
import type { RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import { Command } from 'commander';
import type { CliServices } from './cli-services.ts';
import { collectorBase, getFromCollector } from './collector-api.ts';
import { formatStatus } from './status-table.ts';

/** Reads the collector's API: targets and live runners. */
export async function fetchStatus(
  baseUrl: string,
  token?: string,
): Promise<{ targets: TargetStatus[]; runners: RunnerHeartbeat[] }> {
  const get = async <T>(path: string): Promise<T> => (await (await getFromCollector(baseUrl, path, token)).json()) as T;
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
      const status = await fetchStatus(await collectorBase(flags, services));
      services.out(flags.json ? JSON.stringify(status) : formatStatus(status.targets, status.runners, Date.now()));
    });
}
