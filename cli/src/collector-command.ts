import { startCollector } from '@synack/collector/main';
import { telemetryFromEnv } from '@synack/collector/telemetry/telemetry-from-env';
import { loadConfig } from '@synack/shared/config/load-config';
import { requireJobSigner, signerMismatch } from '@synack/shared/config/load-private-key';
import { createLogger } from '@synack/shared/logger';
import { Command } from 'commander';
import { parseListen } from './listen-address.ts';
import { connectRedis } from './redis-connect.ts';
import { runUntilSignalled } from './service-lifecycle.ts';

/** `synack collector --config F [--listen ADDR]`: ingest results and serve the API. */
export function collectorCommand(): Command {
  return new Command('collector')
    .description('consume probe results into Redis and serve the HTTP API')
    .requiredOption('--config <file>', 'the synack YAML config')
    .option('--listen <addr>', 'host:port for the API (default: collector.listen from the config)')
    .action(async (flags: { config: string; listen?: string }) => {
      const config = await loadConfig(flags.config);
      const listen = parseListen('--listen', flags.listen ?? config.collector.listen);
      // It signs traceroute and on-demand jobs: without its key it refuses to start.
      const signer = await requireJobSigner(config, 'the collector');
      const logger = createLogger('collector');
      logger.info({ kid: signer.kid }, 'signing on-demand probe jobs');
      const mismatch = signerMismatch(config, signer);
      if (mismatch) logger.warn(mismatch);
      const connection = connectRedis(config.redisUrl, 'synack-collector-bullmq', true);
      const redis = connectRedis(config.redisUrl, 'synack-collector', false);
      for (const client of [connection, redis]) client.on('error', () => {});
      const telemetry = telemetryFromEnv();
      const collector = await startCollector({ config, connection, redis, listen, logger, telemetry, signer });
      process.stdout.write(`collector API on ${collector.url}\n`);
      process.exitCode = await runUntilSignalled(
        logger,
        async () => {
          await collector.stop();
          connection.disconnect();
          redis.disconnect();
        },
        async () => {
          try {
            collector.setConfig(await loadConfig(flags.config));
            logger.info('config reloaded');
          } catch (error) {
            logger.error({ err: (error as Error).message }, 'new config rejected; keeping the old one');
          }
        },
      );
    });
}
