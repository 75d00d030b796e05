import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@synack/shared/config/parse-config';
import { generateSigningKey } from '@synack/shared/signing-key';
import { DEFAULT_LISTENER, type LabListener } from '../lab/lab-case.ts';
import { stopProcess } from '../lab/process-group.ts';
import { createRegionLab, type RegionLab } from '../lab/region-lab.ts';
import { waitForLine } from '../lab/wait-for-line.ts';
import { collector, scheduler } from './pipeline.ts';
import { startRedis } from './redis-server.ts';
import { synackArgv } from './synack-cli.ts';
import { testSigning } from './test-signing.ts';

/** The lab's helper scripts (the service listener, the SYN flood), for case commands too. */
export const LAB_TOOLS = fileURLToPath(new URL('../../../infra/lab/tools', import.meta.url));
/** The name every namespace resolves to the server's two addresses (a dual-stack target). */
export const LAB_SERVICE_NAME = 'web.lab';
/** Where the agent reaches the collector: the router's end of the server's management link. */
const AGENT_COLLECTOR = { host: '192.168.100.1', port: 18470 };

/** Settings of an agent lab: what is probed and how often. */
export type AgentLabOptions = {
  prefix: string;
  port: number;
  /** YAML lines of `defaults:` (interval, timeout...). */
  defaults: string;
  /** YAML lines of the `targets:` list. */
  targets: string;
  /** Targets the server's agent reports for. */
  agentTargets: string[];
  agentInterval: string;
};

/**
 * synack as deployed, in the two-region lab: the service (infra/lab/tools/listener.py) and the
 * agent on the server; a runner in each region; a collector in the router's namespace, which the
 * agent reaches over the server's management link; Redis over a unix socket (namespaces do not separate those); the scheduler and a
 * second collector here, whose API the caller reads. `stop()` takes it all down.
 */
export async function startAgentLab(options: AgentLabOptions) {
  const lab: RegionLab = await createRegionLab({
    hosts: `203.0.113.10 ${LAB_SERVICE_NAME}\n2001:db8:5::10 ${LAB_SERVICE_NAME}`,
  });
  const dir = await mkdtemp(join(tmpdir(), `synack-${options.prefix}-`));
  const socket = join(dir, 'redis.sock');
  const redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
  const stops: (() => Promise<void>)[] = [];
  let listener: ChildProcess | null = null;
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await lab.destroy();
    await redis.cleanup();
    await rm(dir, { recursive: true, force: true });
  };
  /** Replaces the server's service with `spec` (`null`: nothing listens), once it listens. */
  const setListener = async (spec: LabListener) => {
    if (listener) await stopProcess(listener);
    listener = null;
    if (spec === null) return;
    const argv = [
      'python3',
      join(LAB_TOOLS, 'listener.py'),
      '--port',
      String(options.port),
      '--families',
      spec.families.join(','),
      '--backlog',
      String(spec.backlog),
      '--hold',
      String(spec.hold),
      ...(spec.accept ? [] : ['--no-accept']),
    ];
    const child = lab.spawn('server', argv);
    await waitForLine(child, 'listening', 10_000, argv);
    listener = child;
  };
  try {
    // The collector process signs traceroute jobs with the key file; runners read the public key.
    const signingKey = await testSigning().writeKey(dir);
    const agentKey = generateSigningKey();
    const yaml = `redis: unix://${socket}
prefix: ${options.prefix}
${testSigning().yaml(signingKey)}regions: [a, b]
allow:
  - { cidr: 203.0.113.10/32, ports: "${options.port}" }
  - { cidr: "2001:db8:5::10/128", ports: "${options.port}" }
defaults: ${options.defaults}
collector: { listen: "${AGENT_COLLECTOR.host}:${AGENT_COLLECTOR.port}" }
agents:
  - { id: server, public_key: "${agentKey.publicKey.key}", targets: [${options.agentTargets.join(', ')}] }
targets:
${options.targets}
`;
    const file = join(dir, 'synack.yaml');
    await writeFile(file, yaml);
    const agentKeyFile = join(dir, 'agent-key.pem');
    await writeFile(agentKeyFile, agentKey.privateKeyPem, { mode: 0o600 });
    const agentFile = join(dir, 'agent.yaml');
    await writeFile(
      agentFile,
      `agent:\n  id: server\n  collector: http://${AGENT_COLLECTOR.host}:${AGENT_COLLECTOR.port}\n  key_file: ${agentKeyFile}\n  interval: ${options.agentInterval}\n`,
    );
    const parsed = parseConfig(yaml, file, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    await setListener(DEFAULT_LISTENER);
    const pids: Record<string, number> = {};
    for (const [role, host, argv] of [
      ['collector', 'router', synackArgv('collector', '--config', file)],
      ['agent', 'server', synackArgv('agent', '--config', agentFile)],
      ['runner-a', 'a', synackArgv('runner', '--region', 'a', '--id', 'runner-a', '--config', file)],
      ['runner-b', 'b', synackArgv('runner', '--region', 'b', '--id', 'runner-b', '--config', file)],
    ] as const) {
      const child = lab.spawn(host, argv);
      // `ip netns exec` execs the command: this is the service's own pid.
      if (child.pid !== undefined) pids[role] = child.pid;
      child.stdout?.resume();
      child.stderr?.resume();
    }
    const s = scheduler(parsed.config);
    s.service.start();
    stops.push(s.stop);
    const api = await collector({ ...parsed.config, collector: { ...parsed.config.collector, listen: '127.0.0.1:0' } });
    stops.push(api.stop);
    return { lab, api, stop, setListener, port: options.port, pids, config: parsed.config };
  } catch (error) {
    await stop();
    throw error;
  }
}
