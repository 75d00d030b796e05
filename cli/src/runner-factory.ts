import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { probeConnect } from '@synack/runners/connect/connect-prober';
import { nextAttemptId } from '@synack/runners/probe/attempt-id';
import { RegionRunner } from '@synack/runners/runner/region-runner';
import { resolveJobTarget } from '@synack/runners/runner/resolve-job-target';
import { runTcpTrace } from '@synack/runners/trace/tcp-trace';
import { compileAllowList } from '@synack/shared/allow-list';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { createJobVerifier } from '@synack/shared/wire/signed-job';
import type { CliServices } from './cli-services.ts';
import type { RedisClient } from './redis-connect.ts';
import { SYNACK_VERSION } from './version.ts';

/**
 * A region runner on this host's probe engines (raw SYN when permitted, and connect), taking only
 * jobs signed by one of `signing.public_keys` (it throws when there is none).
 */
export function createRunner(
  config: SynackConfig,
  region: string,
  services: CliServices,
  redis: { connection: RedisClient; redis: RedisClient },
  logger: Logger,
  id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  lockDurationMs?: number,
): RegionRunner {
  return new RegionRunner({
    config,
    region,
    runnerId: id,
    version: SYNACK_VERSION,
    connection: redis.connection,
    redis: redis.redis,
    rawSyn: services.rawAllowed(),
    probe: (kind, target, timeoutMs) =>
      kind === 'syn'
        ? services.synEngine().probe({ target, policy: { timeoutMs, rtoMs: 1000, maxRetransmits: 6 } })
        : probeConnect({ target, timeoutMs }, services.sources),
    ...(services.rawAllowed()
      ? {
          trace: async (target, maxHops, timeoutMs) =>
            (
              await runTcpTrace(
                { target, maxHops, queries: 1, wave: 16, policy: { timeoutMs, rtoMs: 0, maxRetransmits: 0 } },
                (t, policy, ttl) => services.synEngine().probe({ target: t, policy, ttl }),
              )
            ).flatMap((hop) => hop.attempts),
        }
      : {}),
    resolve: (target) => resolveJobTarget(target),
    isAllowed: compileAllowList(config.allow),
    verifier: createJobVerifier(config.signing.publicKeys),
    nextId: nextAttemptId,
    logger,
    ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
  });
}
