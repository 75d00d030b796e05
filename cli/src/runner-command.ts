import { requireRunnerKeys } from '@synack/runners/runner/region-runner';
import { loadConfig } from '@synack/shared/config/load-config';
import { createLogger } from '@synack/shared/logger';
import { Command } from 'commander';
import { durationOption } from './cli-options.ts';
import type { CliServices } from './cli-services.ts';
import { connectRedis } from './redis-connect.ts';
import { createRunner } from './runner-factory.ts';
import { runUntilSignalled } from './service-lifecycle.ts';

/** `synack runner --region R --config F`: a region's probe runner. */
export function runnerCommand(services: CliServices): Command {
  return new Command('runner')
    .description("run probe jobs for one region (a BullMQ worker on the region's queue)")
    .requiredOption('--region <region>', 'the region this runner probes from')
    .requiredOption('--config <file>', 'the synack YAML config')
    .option('--id <id>', 'runner id (default: hostname-pid-random)')
    .option('--job-lock <duration>', 'how long a job stays locked to a runner that stopped answering', '15s')
    .action(async (flags: { region: string; config: string; id?: string; jobLock: string }) => {
      const lockDurationMs = durationOption('--job-lock', flags.jobLock, { min: 1000, max: 120_000 });
      const config = await loadConfig(flags.config);
      if (!config.regions.includes(flags.region)) {
        throw services.usageError(
          `--region ${flags.region} is not in ${flags.config} (regions: ${config.regions.join(', ')})`,
        );
      }
      requireRunnerKeys(config);
      const logger = createLogger(`runner-${flags.region}`);
      const connection = connectRedis(config.redisUrl, 'synack-runner-bullmq', true);
      const redis = connectRedis(config.redisUrl, 'synack-runner', false);
      for (const client of [connection, redis]) client.on('error', () => {});
      const runner = createRunner(
        config,
        flags.region,
        services,
        { connection, redis },
        logger,
        flags.id,
        lockDurationMs,
      );
      runner.start();
      process.exitCode = await runUntilSignalled(logger, async () => {
        await runner.stop();
        connection.disconnect();
        redis.disconnect();
      });
    });
}
