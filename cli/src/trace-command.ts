import { type FamilyChoice, resolveTargets } from '@synack/runners/probe/resolve-targets';
import { formatEndpoint } from '@synack/runners/report/format-endpoint';
import { formatTraceHop } from '@synack/runners/report/trace-table';
import { runTcpTrace } from '@synack/runners/trace/tcp-trace';
import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import { parseEndpoint } from '@synack/shared/parse-endpoint';
import { Command } from 'commander';
import { durationOption, integerOption } from './cli-options.ts';
import type { CliServices } from './cli-services.ts';

type TraceFlags = {
  maxHops: string;
  queries: string;
  timeout: string;
  wave: string;
  json?: boolean;
  port?: string;
  ipv4?: boolean;
  ipv6?: boolean;
};

/** `synack trace <target>`: TCP traceroute with TTL-limited SYNs to the service port. */
export function traceCommand(services: CliServices): Command {
  return new Command('trace')
    .description('TCP traceroute: TTL-limited SYNs to the service port, hop by hop')
    .argument('<target>', 'host:port, [v6addr]:port or hostname:port (or a host with --port)')
    .option('-m, --max-hops <n>', 'highest TTL / hop limit', '30')
    .option('-q, --queries <n>', 'SYNs per hop', '1')
    .option('-t, --timeout <duration>', 'wait per SYN', '2s')
    .option('--wave <n>', 'hops probed at once', '16')
    .option('-p, --port <port>', 'port, when the target names none')
    .option('--json', 'print NDJSON: one attempt record per line')
    .option('-4, --ipv4', 'IPv4 only (default: the first address of the name)')
    .option('-6, --ipv6', 'IPv6 only')
    .action(async (spec: string, flags: TraceFlags) => {
      process.exitCode = await runTrace(spec, flags, services);
    });
}

async function runTrace(spec: string, flags: TraceFlags, services: CliServices): Promise<number> {
  const { out } = services;
  const maxHops = integerOption('--max-hops', flags.maxHops, 1, 255);
  const queries = integerOption('--queries', flags.queries, 1, 10);
  const wave = integerOption('--wave', flags.wave, 1, 255);
  const timeoutMs = durationOption('--timeout', flags.timeout);
  if (flags.ipv4 && flags.ipv6) throw services.usageError('-4 and -6 exclude each other');
  const family: FamilyChoice = flags.ipv4 ? 'v4' : flags.ipv6 ? 'v6' : 'any';
  const endpoint = parseEndpoint(
    spec,
    flags.port === undefined ? undefined : integerOption('--port', flags.port, 1, 65535),
  );
  const [target] = await resolveTargets(endpoint, family);
  if (!target) throw services.usageError(`nothing to trace for "${spec}"`);
  if (!flags.json) {
    out(
      `TRACE ${formatEndpoint(endpoint.host, endpoint.port)} (${target.address}), ${maxHops} hops max, ${queries} SYN per hop`,
    );
  }
  const engine = services.synEngine();
  const hops = await runTcpTrace(
    { target, maxHops, queries, wave, policy: { timeoutMs, rtoMs: 0, maxRetransmits: 0 } },
    (t, policy, ttl) => engine.probe({ target: t, policy, ttl }),
    flags.json ? (record: SynAttemptRecord) => out(JSON.stringify(record)) : undefined,
  );
  if (!flags.json) for (const hop of hops) out(formatTraceHop(hop));
  const local = hops.flatMap((h) => h.attempts).find((a) => a.outcome === 'local_error');
  if (local && !flags.json) out(`synack: ${local.error?.message ?? 'SYNs could not be sent'}`);
  // 0 once the target itself answered (SYN-ACK or RST): the path is known end to end.
  return hops.some((h) => h.reachedTarget) ? 0 : 1;
}
