import { AgentService } from '@synack/runners/agent/agent-service';
import { openDropTracer } from '@synack/runners/agent/drop-reasons';
import { systemSnapshotDeps } from '@synack/runners/agent/system-snapshot-deps';
import { createSnapshotState, takeSnapshot } from '@synack/runners/agent/take-snapshot';
import { loadAgentConfig } from '@synack/shared/config/load-config';
import { createLogger } from '@synack/shared/logger';
import { createAgentRequestSigner } from '@synack/shared/wire/agent-request-signature';
import { Command } from 'commander';
import { runUntilSignalled } from './service-lifecycle.ts';

/**
 * `synack agent --config F`: the host agent on a target server. It reads /proc/net counters,
 * listeners (netlink sock_diag), route lookups back to the runners (`ip -j`), sysctls, nftables
 * counters (`nft -j`) and, where tracefs allows, handshake resets; it needs CAP_NET_ADMIN for nft
 * and tracefs access (root) for the reset events, and degrades, saying so, without them.
 */
export function agentCommand(): Command {
  return new Command('agent')
    .description(
      "report this server's handshake evidence (counters, listeners, routes back, firewall) to the collector",
    )
    .requiredOption('--config <file>', 'the agent YAML config')
    .action(async (flags: { config: string }) => {
      const config = await loadAgentConfig(flags.config);
      const logger = createLogger(`agent-${config.id}`);
      const tracer = openDropTracer();
      const deps = systemSnapshotDeps(config.id, tracer);
      const state = createSnapshotState();
      const agent = new AgentService({
        collectorUrl: config.collectorUrl,
        signer: createAgentRequestSigner(config.id, config.key),
        take: (trigger, watch) => takeSnapshot(deps, state, { trigger, ports: watch.ports, runners: watch.runners }),
        intervalMs: config.intervalMs,
        bufferSize: config.bufferSize,
        logger,
      });
      agent.start();
      logger.info({ collector: config.collectorUrl, intervalMs: config.intervalMs }, 'agent started');
      process.exitCode = await runUntilSignalled(logger, async () => {
        await agent.stop();
        tracer.close();
      });
    });
}
