import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@synack/shared/config/parse-config';
import { createRegionLab, type RegionLab } from '../lab/region-lab.ts';
import { waitForLine } from '../lab/wait-for-line.ts';
import { collector, scheduler } from './pipeline.ts';
import { startRedis } from './redis-server.ts';
import { synackArgv } from './synack-cli.ts';

const LISTENER = fileURLToPath(new URL('../lab/tcp-listener.ts', import.meta.url));

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
 * synack as deployed, in the two-region lab: a listener and the agent on the server, with a
 * collector in the server's namespace for the agent to reach; a runner in each region; Redis over a
 * unix socket (namespaces do not separate those); the scheduler and a second collector here, whose
 * API the caller reads. `stop()` takes it all down.
 */
export async function startAgentLab(options: AgentLabOptions) {
  const lab: RegionLab = await createRegionLab();
  const dir = await mkdtemp(join(tmpdir(), `synack-${options.prefix}-`));
  const socket = join(dir, 'redis.sock');
  const redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await lab.destroy();
    await redis.cleanup();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const token = randomBytes(24).toString('hex');
    const yaml = `redis: unix://${socket}
prefix: ${options.prefix}
regions: [a, b]
allow:
  - { cidr: 203.0.113.10/32, ports: "${options.port}" }
  - { cidr: "2001:db8:5::10/128", ports: "${options.port}" }
defaults: ${options.defaults}
collector: { listen: "127.0.0.1:18470" }
agents:
  - { id: server, token_sha256: ${createHash('sha256').update(token).digest('hex')}, targets: [${options.agentTargets.join(', ')}] }
targets:
${options.targets}
`;
    const file = join(dir, 'synack.yaml');
    await writeFile(file, yaml);
    const tokenFile = join(dir, 'agent.token');
    await writeFile(tokenFile, token, { mode: 0o600 });
    const agentFile = join(dir, 'agent.yaml');
    await writeFile(
      agentFile,
      `agent:\n  id: server\n  collector: http://127.0.0.1:18470\n  token_file: ${tokenFile}\n  interval: ${options.agentInterval}\n`,
    );
    const parsed = parseConfig(yaml, file, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const listener = lab.spawn('server', [process.execPath, LISTENER, '--port', String(options.port)]);
    await waitForLine(listener, 'listening', 10_000, ['tcp-listener']);
    for (const [host, argv] of [
      ['server', synackArgv('collector', '--config', file)],
      ['server', synackArgv('agent', '--config', agentFile)],
      ['a', synackArgv('runner', '--region', 'a', '--id', 'runner-a', '--config', file)],
      ['b', synackArgv('runner', '--region', 'b', '--id', 'runner-b', '--config', file)],
    ] as const) {
      const child = lab.spawn(host, argv);
      child.stdout?.resume();
      child.stderr?.resume();
    }
    const s = scheduler(parsed.config);
    s.service.start();
    stops.push(s.stop);
    const api = await collector({ ...parsed.config, collector: { ...parsed.config.collector, listen: '127.0.0.1:0' } });
    stops.push(api.stop);
    return { lab, api, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
