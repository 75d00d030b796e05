import { type ServerType, serve } from '@hono/node-server';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { onDemandQueueName } from '@synack/shared/wire/queue-names';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { agentIntake } from './agents/agent-intake.ts';
import { createApp } from './api/create-app.ts';
import { redisReads } from './api/redis-reads.ts';
import { DiagnosisService } from './diagnosis/diagnosis-service.ts';
import { PathTracer } from './diagnosis/path-tracer.ts';
import { ResultsConsumer } from './ingest/results-consumer.ts';

export type CollectorHandle = {
  consumer: ResultsConsumer;
  diagnosis: DiagnosisService;
  /** The address the API listens on (port resolved when 0 was asked). */
  url: string;
  setConfig(config: SynackConfig): void;
  stop(): Promise<void>;
};

/**
 * The collector's composition root: the results consumer and the HTTP API on `listen`.
 * Resolves once the API is listening.
 */
export async function startCollector(options: {
  config: SynackConfig;
  connection: Redis | Cluster;
  redis: Redis | Cluster;
  listen: { hostname: string; port: number };
  logger: Logger;
}): Promise<CollectorHandle> {
  let config = options.config;
  const consumer = new ResultsConsumer({
    config: () => config,
    connection: options.connection,
    redis: options.redis,
    logger: options.logger,
  });
  // On-demand queues to the regions' runners, for traceroutes; made when first needed.
  const queues = new Map<string, Queue>();
  const queueFor = (region: string) => {
    let queue = queues.get(region);
    if (!queue) {
      queue = new Queue(onDemandQueueName(region), { connection: options.redis, prefix: config.prefix });
      queues.set(region, queue);
    }
    return queue;
  };
  const tracer = new PathTracer({
    redis: options.redis,
    prefix: () => config.prefix,
    queueFor,
    logger: options.logger,
  });
  const diagnosis = new DiagnosisService({
    config: () => config,
    redis: options.redis,
    logger: options.logger,
    tracer,
  });
  const app = createApp(
    redisReads({
      redis: options.redis,
      prefix: () => config.prefix,
      historyPerSeries: () => config.collector.historyPerSeries,
      counters: () => ({ ingested: consumer.stats.ingested, rejected: consumer.rejectedTotal }),
      diagnoses: diagnosis.store,
    }),
    options.logger,
    agentIntake({ config: () => config, redis: options.redis, snapshots: diagnosis.snapshots }),
  );
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.listen.hostname, port: options.listen.port }, (info) =>
      resolve({ server: s, port: info.port }),
    );
    s.once('error', reject);
  });
  // Only once the API listens: a port in use must not leave a headless consumer running.
  consumer.start();
  diagnosis.start();
  const host = options.listen.hostname.includes(':') ? `[${options.listen.hostname}]` : options.listen.hostname;
  const url = `http://${host}:${port}`;
  options.logger.info({ url }, 'collector API listening');
  return {
    consumer,
    diagnosis,
    url,
    setConfig(next) {
      config = next;
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await diagnosis.stop();
      await consumer.stop();
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
