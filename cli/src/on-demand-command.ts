import { adHocName } from '@synack/collector/probes/authorize-probe';
import { formatRegionTable } from '@synack/runners/report/region-table';
import { probeOnDemand } from '@synack/scheduler/on-demand-probe';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import { loadConfig } from '@synack/shared/config/load-config';
import { requireJobSigner } from '@synack/shared/config/load-private-key';
import { parseEndpoint } from '@synack/shared/parse-endpoint';
import { isAnswered, type ProbeKind } from '@synack/shared/probe-outcome';
import { jobTargetOf } from '@synack/shared/wire/probe-job';
import { onDemandQueueName } from '@synack/shared/wire/queue-names';
import { Queue } from 'bullmq';
import type { CliServices } from './cli-services.ts';
import { connectRedis } from './redis-connect.ts';

export type OnDemandFlags = {
  regions: string;
  config?: string;
  kinds: ProbeKind[];
  timeoutMs: number;
  port?: number;
  families: ('v4' | 'v6')[];
  /** Attempts per kind and address, each from its own source port; 1 by default. */
  sourcePorts?: number;
  json?: boolean;
};

/**
 * `synack probe TARGET --regions a,b|all --config F`: one probe now from each region's runners,
 * printed side by side. TARGET is a configured target's name, or host:port.
 */
export async function runOnDemand(spec: string, flags: OnDemandFlags, services: CliServices): Promise<number> {
  if (!flags.config) throw services.usageError('--regions needs --config (where Redis and the regions are)');
  const config = await loadConfig(flags.config);
  const regions = flags.regions === 'all' ? [...config.regions] : flags.regions.split(',').map((r) => r.trim());
  const unknown = regions.filter((r) => !config.regions.includes(r));
  if (unknown.length > 0 || regions.length === 0) {
    throw services.usageError(
      `--regions: ${unknown.join(', ') || '(none)'} not in ${flags.config} (regions: ${config.regions.join(', ')})`,
    );
  }
  const configured = config.targets.find((t) => t.name === spec);
  const base = configured ? jobTargetOf(configured) : adHocTarget(spec, flags);
  const target = (flags.sourcePorts ?? 1) > 1 ? { ...base, sourcePorts: flags.sourcePorts } : base;
  const signer = await requireJobSigner(config, 'on-demand probing (synack probe --regions, diagnose --fresh)');
  const redis = connectRedis(config.redisUrl, 'synack-probe', false);
  redis.on('error', () => {});
  const queues = new Map<string, Queue>();
  try {
    const result = await probeOnDemand(
      {
        redis,
        prefix: config.prefix,
        signer,
        queueFor: (region) => {
          let queue = queues.get(region);
          if (!queue) {
            queue = new Queue(onDemandQueueName(region), { connection: redis, prefix: config.prefix });
            queues.set(region, queue);
          }
          return queue;
        },
      },
      { targets: [target], regions },
    );
    const records: AttemptRecord[] = Object.values(result.byRegion).flat();
    if (flags.json) {
      for (const [region, list] of Object.entries(result.byRegion)) {
        for (const record of list) services.out(JSON.stringify({ region, ...record }));
      }
    } else {
      services.out(
        `ON-DEMAND ${target.name} (${target.address}:${target.port}) from ${regions.join(', ')}  request ${result.requestId}`,
      );
      services.out(formatRegionTable(result.byRegion, result.missing));
      if (result.missing.length > 0) services.err(`synack: no answer in time from ${result.missing.join(', ')}`);
    }
    return result.missing.length === 0 && records.length > 0 && records.every((r) => isAnswered(r.outcome)) ? 0 : 1;
  } finally {
    await Promise.all([...queues.values()].map((q) => q.close()));
    redis.disconnect();
  }
}

function adHocTarget(spec: string, flags: OnDemandFlags) {
  const endpoint = parseEndpoint(spec, flags.port);
  return {
    name: adHocName(endpoint.host),
    address: endpoint.kind === 'address' ? endpoint.address : endpoint.host,
    port: endpoint.port,
    probes: flags.kinds,
    families: endpoint.kind === 'address' ? [endpoint.family] : flags.families,
    timeoutMs: flags.timeoutMs,
  };
}
