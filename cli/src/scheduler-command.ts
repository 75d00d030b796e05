import { SchedulerService } from '@synack/scheduler/scheduler-service';
import { loadConfig } from '@synack/shared/config/load-config';
import { requireJobSigner, signerMismatch } from '@synack/shared/config/load-private-key';
import { createLogger } from '@synack/shared/logger';
import { Command } from 'commander';
import { connectRedis } from './redis-connect.ts';
import { runUntilSignalled } from './service-lifecycle.ts';

/** `synack scheduler --config F`: keep the Job Schedulers equal to the config (SIGHUP reloads). */
export function schedulerCommand(): Command {
  return new Command('scheduler')
    .description('turn the config into BullMQ Job Schedulers, one queue per region (SIGHUP reloads)')
    .requiredOption('--config <file>', 'the synack YAML config')
    .action(async (flags: { config: string }) => {
      const config = await loadConfig(flags.config);
      // Before anything connects: without its key the scheduler would write jobs no runner takes.
      const signer = await requireJobSigner(config, 'the scheduler');
      const logger = createLogger('scheduler');
      logger.info({ kid: signer.kid }, 'signing probe jobs');
      const mismatch = signerMismatch(config, signer);
      if (mismatch) logger.warn(mismatch);
      const connection = connectRedis(config.redisUrl, 'synack-scheduler-bullmq', true);
      const redis = connectRedis(config.redisUrl, 'synack-scheduler', false);
      for (const client of [connection, redis]) client.on('error', () => {});
      const scheduler = new SchedulerService({ config, connection, redis, logger, signer });
      scheduler.start();
      process.exitCode = await runUntilSignalled(
        logger,
        async () => {
          await scheduler.stop();
          connection.disconnect();
          redis.disconnect();
        },
        async () => {
          try {
            scheduler.setConfig(await loadConfig(flags.config));
          } catch (error) {
            logger.error({ err: (error as Error).message }, 'new config rejected; keeping the old one');
          }
        },
      );
    });
}
