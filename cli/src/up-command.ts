import { join, resolve } from 'node:path';
import { startCollector } from '@synack/collector/main';
import { telemetryFromEnv } from '@synack/collector/telemetry/telemetry-from-env';
import { SchedulerService } from '@synack/scheduler/scheduler-service';
import { loadConfig } from '@synack/shared/config/load-config';
import { loadJobSigner, signerMismatch } from '@synack/shared/config/load-private-key';
import { createLogger } from '@synack/shared/logger';
import { redactRedisUrl } from '@synack/shared/redis-options';
import { generateSigningKey } from '@synack/shared/signing-key';
import { createJobSigner } from '@synack/shared/wire/signed-job';
import { Command } from 'commander';
import { durationOption } from './cli-options.ts';
import type { CliServices } from './cli-services.ts';
import { parseListen } from './listen-address.ts';
import { connectRedis, type RedisClient } from './redis-connect.ts';
import { type LaunchedRedis, launchRedis, redisAnswers } from './redis-launcher.ts';
import { createRunner } from './runner-factory.ts';
import { runUntilSignalled } from './service-lifecycle.ts';
import { fetchStatus } from './status-command.ts';
import { formatStatus } from './status-table.ts';
import { newApiToken } from './token-command.ts';

type UpFlags = { config: string; dataDir: string; refresh: string; duration?: string; logLevel: string };

/**
 * `synack up --config F`: everything on one machine. Starts Redis when none answers at the
 * configured URL, then the scheduler, the collector and one runner per region, and prints a live
 * status table and the collector's URL until Ctrl-C (or `--duration`).
 */
export function upCommand(services: CliServices): Command {
  return new Command('up')
    .description(
      'run the whole stack on this machine: Redis (if none answers), scheduler, collector, a runner per region',
    )
    .requiredOption('--config <file>', 'the synack YAML config')
    .option('--data-dir <dir>', 'where a Redis started by synack keeps its AOF', '.synack/redis')
    .option('--refresh <duration>', 'status table refresh period', '2s')
    .option('--duration <duration>', 'stop after this long (default: until Ctrl-C)')
    .option('--log-level <level>', 'service log level on stderr', 'warn')
    .action(async (flags: UpFlags) => {
      process.exitCode = await up(flags, services);
    });
}

async function up(flags: UpFlags, services: CliServices): Promise<number> {
  const refreshMs = durationOption('--refresh', flags.refresh, { min: 100 });
  const durationMs =
    flags.duration === undefined
      ? undefined
      : durationOption('--duration', flags.duration, { min: 1, max: 2 ** 31 - 1 });
  const fileConfig = await loadConfig(flags.config);
  // Every service runs in this process: without a key of its own (signing.private_key_file or
  // SYNACK_SIGNING_KEY), the run signs with a key pair made now, held in memory, gone at exit.
  const fileSigner = await loadJobSigner(fileConfig);
  const signer = fileSigner ?? createJobSigner(generateSigningKey().privateKey);
  const config = fileConfig.signing.publicKeys.some((entry) => entry.kid === signer.kid)
    ? fileConfig
    : {
        ...fileConfig,
        signing: { ...fileConfig.signing, publicKeys: [...fileConfig.signing.publicKeys, signer.publicKey] },
      };
  // Read before anything starts: a bad value stops here, with nothing to tear down.
  const telemetry = telemetryFromEnv();
  const listen = parseListen('collector.listen', config.collector.listen);
  const logger = createLogger('up', flags.logLevel);
  if (fileSigner) {
    logger.info({ kid: signer.kid }, 'signing probe jobs with the configured key');
    const mismatch = signerMismatch(fileConfig, signer);
    if (mismatch) logger.warn(`${mismatch} (this run's runners accept it)`);
  } else logger.info({ kid: signer.kid }, 'no signing key configured: signing probe jobs with a key made for this run');
  let launched: LaunchedRedis | undefined;
  if (!(await redisAnswers(config.redisUrl))) {
    const dir = resolve(flags.dataDir);
    services.out(`no Redis at ${redactRedisUrl(config.redisUrl)}: starting redis-server (AOF in ${join(dir)})`);
    launched = await launchRedis(config.redisUrl, dir);
  }
  const clients: RedisClient[] = [];
  const pair = (name: string) => {
    const connection = connectRedis(config.redisUrl, `${name}-bullmq`, true);
    const redis = connectRedis(config.redisUrl, name, false);
    for (const client of [connection, redis]) {
      client.on('error', () => {});
      clients.push(client);
    }
    return { connection, redis };
  };
  // With API tokens configured, the status table reads the API with a read token of its own,
  // made for this run and known only to this process.
  const own = config.api.tokens.length > 0 ? newApiToken() : undefined;
  const collector = await startCollector({
    config: own
      ? {
          ...config,
          api: {
            tokens: [
              ...config.api.tokens,
              { name: 'synack-up', sha256: own.sha256, scopes: ['read'], from: 'environment' },
            ],
          },
        }
      : config,
    ...pair('synack-collector'),
    listen,
    logger: logger.child({ service: 'collector' }),
    telemetry,
    signer,
  });
  const scheduler = new SchedulerService({
    config,
    ...pair('synack-scheduler'),
    logger: logger.child({ service: 'scheduler' }),
    signer,
  });
  scheduler.start();
  const runners = config.regions.map((region) => {
    const runner = createRunner(
      config,
      region,
      services,
      pair(`synack-runner-${region}`),
      logger.child({ service: `runner-${region}` }),
      `local-${region}`,
    );
    runner.start();
    return runner;
  });
  services.out(
    `synack is up: ${config.targets.length} targets, regions ${config.regions.join(', ')}; collector API ${collector.url}\n` +
      `dashboard ${collector.url}/dashboard, metrics ${collector.url}/metrics, SLOs ${collector.url}/v1/slo` +
      (telemetry.otlpEndpoint
        ? `, traces to ${telemetry.otlpEndpoint}`
        : ' (set OTEL_EXPORTER_OTLP_ENDPOINT for traces)'),
  );

  const live = process.stdout.isTTY;
  const render = async () => {
    try {
      const status = await fetchStatus(collector.url, own?.token);
      const table = formatStatus(status.targets, status.runners, Date.now());
      services.out(
        live
          ? `\x1b[H\x1b[2J${new Date().toISOString()}  collector API ${collector.url}  (Ctrl-C stops)\n\n${table}`
          : `\n${table}`,
      );
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'status unavailable');
    }
  };
  const refresh = setInterval(() => void render(), live ? refreshMs : Math.max(refreshMs, 10_000));
  const stop = async () => {
    clearInterval(refresh);
    await render();
    await Promise.all(runners.map((runner) => runner.stop()));
    await scheduler.stop();
    await collector.stop();
    for (const client of clients) client.disconnect();
    await launched?.stop();
  };
  // --duration ends the run the way Ctrl-C does, through the same graceful stop.
  if (durationMs !== undefined) setTimeout(() => process.kill(process.pid, 'SIGTERM'), durationMs).unref();
  return runUntilSignalled(logger, stop);
}
