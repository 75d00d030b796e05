import { probeConnect } from '@synack/runners/connect/connect-prober';
import { runProbeSession } from '@synack/runners/probe/probe-session';
import { type FamilyChoice, resolveTargets } from '@synack/runners/probe/resolve-targets';
import { formatAttemptTimeline } from '@synack/runners/report/attempt-timeline';
import { formatEndpoint } from '@synack/runners/report/format-endpoint';
import { formatSummary, ProbeSummary } from '@synack/runners/report/probe-summary';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import { parseEndpoint } from '@synack/shared/parse-endpoint';
import type { ProbeKind } from '@synack/shared/probe-outcome';
import { Command, Option } from 'commander';
import { durationOption, integerOption } from './cli-options.ts';
import type { CliServices } from './cli-services.ts';
import { runOnDemand } from './on-demand-command.ts';

type ProbeFlags = {
  mode: 'syn' | 'connect' | 'both';
  count: string;
  interval: string;
  timeout: string;
  rto: string;
  maxRetransmits: string;
  sourcePorts: string;
  json?: boolean;
  port?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  regions?: string;
  config?: string;
};

/** `synack probe <target>`: raw SYN and/or full connect attempts, as a timeline or NDJSON. */
export function probeCommand(services: CliServices): Command {
  return new Command('probe')
    .description('probe a TCP handshake: raw SYN and full connect, IPv4 and IPv6')
    .argument('<target>', 'host:port, [v6addr]:port or hostname:port (or a host with --port)')
    .addOption(new Option('--mode <mode>', 'which probes to run').choices(['syn', 'connect', 'both']).default('both'))
    .option('-c, --count <n>', 'rounds of attempts (0 = until Ctrl-C)', '3')
    .option('-i, --interval <duration>', 'time between rounds', '1s')
    .option('-t, --timeout <duration>', 'wait for an answer, from the first SYN', '3s')
    .option('--rto <duration>', 'initial SYN retransmission timeout, doubled each time (0 = none)', '1s')
    .option('--max-retransmits <n>', 'SYN retransmissions at most', '6')
    .option('--source-ports <n>', 'attempts per round, each from its own source port (ECMP spread)', '1')
    .option('-p, --port <port>', 'port, when the target names none')
    .option('--json', 'print NDJSON: one attempt record per line')
    .option('-4, --ipv4', 'IPv4 only')
    .option('-6, --ipv6', 'IPv6 only')
    .option('--regions <list>', "probe from these regions' runners instead of here (comma-separated, or all)")
    .option('--config <file>', 'the synack YAML config (with --regions)')
    .action(async (spec: string, flags: ProbeFlags) => {
      if (flags.regions !== undefined) {
        const kinds = (flags.mode === 'both' ? ['syn', 'connect'] : [flags.mode]) as ProbeKind[];
        process.exitCode = await runOnDemand(
          spec,
          {
            regions: flags.regions,
            config: flags.config,
            kinds,
            timeoutMs: durationOption('--timeout', flags.timeout),
            port: flags.port === undefined ? undefined : integerOption('--port', flags.port, 1, 65535),
            families: flags.ipv4 ? ['v4'] : flags.ipv6 ? ['v6'] : ['v4', 'v6'],
            // A runner makes at most 64 at once for one request (the probe job's bound).
            sourcePorts: integerOption('--source-ports', flags.sourcePorts, 1, 64),
            json: flags.json,
          },
          services,
        );
        return;
      }
      process.exitCode = await runProbe(spec, flags, services);
    });
}

async function runProbe(spec: string, flags: ProbeFlags, services: CliServices): Promise<number> {
  const { out } = services;
  const timeoutMs = durationOption('--timeout', flags.timeout);
  const plan = {
    count: integerOption('--count', flags.count, 0, 1_000_000),
    intervalMs: durationOption('--interval', flags.interval, { min: 1 }),
    sourcePorts: integerOption('--source-ports', flags.sourcePorts, 1, 1024),
    policy: {
      timeoutMs,
      rtoMs: durationOption('--rto', flags.rto, { min: 0 }),
      maxRetransmits: integerOption('--max-retransmits', flags.maxRetransmits, 0, 16),
    },
    kinds: (flags.mode === 'both' ? ['syn', 'connect'] : [flags.mode]) as ProbeKind[],
  };
  if (flags.ipv4 && flags.ipv6) throw services.usageError('-4 and -6 exclude each other');
  const family: FamilyChoice = flags.ipv4 ? 'v4' : flags.ipv6 ? 'v6' : 'any';
  const endpoint = parseEndpoint(
    spec,
    flags.port === undefined ? undefined : integerOption('--port', flags.port, 1, 65535),
  );
  const targets = await resolveTargets(endpoint, family);

  if (!flags.json) {
    const addresses = targets.map((t) => t.address).join(', ');
    const rounds = plan.count === 0 ? 'until interrupted' : `${plan.count} round${plan.count > 1 ? 's' : ''}`;
    out(
      `PROBE ${formatEndpoint(endpoint.host, endpoint.port)} (${addresses}): ${plan.kinds.join(' + ')}, ${rounds}, timeout ${flags.timeout}`,
    );
  }
  const stop = services.interruptSignal();
  const summary = new ProbeSummary();
  await runProbeSession(
    { ...plan, targets },
    {
      syn: (target, policy) => services.synEngine().probe({ target, policy }),
      connect: (target, ms) => probeConnect({ target, timeoutMs: ms }, services.sources),
    },
    (record: AttemptRecord) => {
      summary.add(record);
      out(flags.json ? JSON.stringify(record) : formatAttemptTimeline(record, timeoutMs));
    },
    stop,
  );
  if (!flags.json) {
    out('');
    out(formatSummary(formatEndpoint(endpoint.host, endpoint.port), summary.rows()));
  }
  return summary.allAnswered ? 0 : 1;
}
