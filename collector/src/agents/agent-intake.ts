import { createHash } from 'node:crypto';
import type { AgentConfig, SynackConfig } from '@synack/shared/config/synack-config';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import { liveRunners, runnersKey } from '@synack/shared/wire/runner-heartbeat';
import type { Cluster, Redis } from 'ioredis';
import type { AgentIntake, AgentWatch } from '../api/create-app.ts';
import { authenticateAgent } from './agent-auth.ts';
import type { SnapshotStore } from './snapshot-store.ts';

const POLL_MS = 200;
// Longer than the 5-minute clock window either way: a signature is refused for as long as its
// timestamp would pass.
const SEEN_SIGNATURE_MS = 600_000;

/** The API's agent side, on Redis: snapshots into the store, requests through it, watch lists from config and heartbeats. */
export function agentIntake(options: {
  config: () => SynackConfig;
  redis: Redis | Cluster;
  snapshots: SnapshotStore;
  now?: () => number;
}): AgentIntake {
  const now = options.now ?? Date.now;
  const watch = async (agent: AgentConfig): Promise<AgentWatch> => {
    const config = options.config();
    const ports = [...new Set(config.targets.filter((t) => agent.targets.includes(t.name)).map((t) => t.port))].sort(
      (a, b) => a - b,
    );
    const byAddress = new Map<string, Set<string>>();
    for (const runner of liveRunners(await options.redis.hgetall(runnersKey(config.prefix)), now())) {
      for (const address of runner.sourceAddresses) {
        const regions = byAddress.get(address) ?? new Set<string>();
        regions.add(runner.region);
        byAddress.set(address, regions);
      }
    }
    const runners = [...byAddress].map(([address, regions]) => ({
      address,
      family: address.includes(':') ? ('v6' as const) : ('v4' as const),
      regions: [...regions].sort(),
    }));
    return { ports, runners };
  };
  return {
    authenticate: (request) =>
      authenticateAgent(options.config().agents, request, now(), async (signature) => {
        const digest = createHash('sha256').update(signature).digest('base64url');
        const key = `${options.config().prefix}:agent-sig:${digest}`;
        return (await options.redis.set(key, '1', 'PX', SEEN_SIGNATURE_MS, 'NX')) === 'OK';
      }),
    async accept(agent, snapshot) {
      await options.snapshots.save(snapshot as AgentSnapshot);
      return watch(agent);
    },
    async wait(agent, timeoutMs) {
      const deadline = now() + timeoutMs;
      for (;;) {
        if (await options.snapshots.takeRequest(agent.id)) return true;
        if (now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - now()))));
      }
    },
    watch,
  };
}
