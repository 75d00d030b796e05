import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { connectRedis, type RedisClient } from '@synack/cli/redis-connect';
import { startCollector, type TelemetryOptions } from '@synack/collector/main';
import { probeConnect } from '@synack/runners/connect/connect-prober';
import { SourceResolver } from '@synack/runners/net/source-address';
import { nextAttemptId } from '@synack/runners/probe/attempt-id';
import { RegionRunner } from '@synack/runners/runner/region-runner';
import { resolveJobTarget } from '@synack/runners/runner/resolve-job-target';
import { SchedulerService } from '@synack/scheduler/scheduler-service';
import { compileAllowList } from '@synack/shared/allow-list';
import { parseConfig } from '@synack/shared/config/parse-config';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { createJobVerifier } from '@synack/shared/wire/signed-job';
import { pino } from 'pino';
import { testSigning } from './test-signing.ts';

export const silent = pino({ level: process.env.SYNACK_TEST_LOG ?? 'silent' });

/**
 * A config from YAML text, with a fresh key prefix so tests never see each other's keys (inside a
 * hash tag when `tagged`, as Redis Cluster needs), and this process's signing key in `signing:`
 * unless the text has a section of its own.
 */
export function testConfig(yaml: string, redisUrl: string, tagged = false): SynackConfig {
  const id = `t${randomBytes(4).toString('hex')}`;
  const prefix = tagged ? `"{${id}}"` : id;
  const signing = /^signing:/m.test(yaml) ? '' : testSigning().yaml();
  const result = parseConfig(`redis: ${redisUrl}\nprefix: ${prefix}\n${signing}${yaml}`, 'test.yaml', {});
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.line}: ${i.path}: ${i.message}`).join('\n'));
  return result.config;
}

/** A loopback listener that accepts and closes; returns it and its port. */
export async function listener(host = '127.0.0.1', port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A port nothing listens on. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const { server, port } = await listener(host);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Clients the way the CLI makes them (a `redis-cluster://` URL gives Cluster clients). */
export function redisPair(url: string): { connection: RedisClient; redis: RedisClient } {
  const connection = connectRedis(url, 'test-bullmq', true);
  const redis = connectRedis(url, 'test', false);
  connection.on('error', () => {});
  redis.on('error', () => {});
  return { connection, redis };
}

/** A region runner with connect probes only (no raw sockets needed), in this process. */
export function connectRunner(config: SynackConfig, region: string, id: string, lockDurationMs = 15_000) {
  const { connection, redis } = redisPair(config.redisUrl);
  const sources = new SourceResolver();
  const runner = new RegionRunner({
    config,
    region,
    runnerId: id,
    version: 'test',
    connection,
    redis,
    rawSyn: false,
    probe: (_kind, target, timeoutMs) => probeConnect({ target, timeoutMs }, sources),
    resolve: (target) => resolveJobTarget(target),
    isAllowed: compileAllowList(config.allow),
    verifier: createJobVerifier(config.signing.publicKeys),
    nextId: nextAttemptId,
    logger: silent,
    lockDurationMs,
  });
  return {
    runner,
    async stop() {
      await runner.stop();
      connection.disconnect();
      redis.disconnect();
    },
  };
}

export function scheduler(config: SynackConfig) {
  const { connection, redis } = redisPair(config.redisUrl);
  const service = new SchedulerService({
    config,
    connection,
    redis,
    logger: silent,
    tickMs: 200,
    signer: testSigning().signer,
  });
  return {
    service,
    async stop() {
      await service.stop();
      connection.disconnect();
      redis.disconnect();
    },
  };
}

export async function collector(config: SynackConfig, telemetry?: TelemetryOptions) {
  const { connection, redis } = redisPair(config.redisUrl);
  const handle = await startCollector({
    config,
    connection,
    redis,
    listen: { hostname: '127.0.0.1', port: 0 },
    logger: silent,
    signer: testSigning().signer,
    ...(telemetry ? { telemetry } : {}),
  });
  return {
    handle,
    async get<T>(path: string): Promise<T> {
      return (await (await fetch(`${handle.url}${path}`)).json()) as T;
    },
    async stop() {
      await handle.stop();
      connection.disconnect();
      redis.disconnect();
    },
  };
}

/**
 * The in-process pipeline on `config`: the scheduler, a started runner per `[region, id]`, and a
 * collector, each stop pushed onto `stops` (stop them in reverse). Returns the collector.
 */
export async function startPipeline(
  config: SynackConfig,
  runners: readonly (readonly [region: string, id: string])[],
  stops: (() => Promise<void>)[],
  telemetry?: TelemetryOptions,
) {
  const s = scheduler(config);
  s.service.start();
  stops.push(s.stop);
  for (const [region, id] of runners) {
    const r = connectRunner(config, region, id);
    r.runner.start();
    stops.push(r.stop);
  }
  const api = await collector(config, telemetry);
  stops.push(api.stop);
  return api;
}
