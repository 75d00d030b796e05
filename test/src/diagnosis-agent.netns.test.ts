import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@synack/shared/config/parse-config';
import type { EvidenceFact } from '@synack/shared/verdict';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLabOrSkip } from './lab/lab-availability.ts';
import { createRegionLab, type RegionLab } from './lab/region-lab.ts';
import { waitForLine } from './lab/wait-for-line.ts';
import { collector, scheduler } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { synackArgv } from './support/synack-cli.ts';
import { waitForAsync } from './support/wait-for.ts';

const PORT = 8443;
const TOKEN = 'the-server-agent-token-0123456789';
const LISTENER = fileURLToPath(new URL('./lab/tcp-listener.ts', import.meta.url));

// The case from DEVELOPERS.md, end to end: the server loses its IPv6 route back to region b. The
// SYNs still arrive; the kernel drops each one (ListenDrops) while the listen queue stays healthy. A real agent on the server reports that, with the failing route lookup, and the
// collector names it: server_no_route_to_client, IPv6, region b. Then the route comes back.
describe.skipIf(requireLabOrSkip())('host agent evidence in the two-region lab (needs root)', () => {
  let lab: RegionLab;
  let redis: TestRedis;
  let dir: string;
  const stops: (() => Promise<void>)[] = [];
  let api: Awaited<ReturnType<typeof collector>>;

  beforeAll(async () => {
    lab = await createRegionLab();
    dir = await mkdtemp(join(tmpdir(), 'synack-agent-e2e-'));
    const socket = join(dir, 'redis.sock');
    redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
    const yaml = `redis: unix://${socket}
prefix: agent-e2e
regions: [a, b]
allow:
  - { cidr: 203.0.113.10/32, ports: "${PORT}" }
  - { cidr: "2001:db8:5::10/128", ports: "${PORT}" }
defaults: { interval: 1s, timeout: 700ms, failing_interval: 1s }
collector: { listen: "127.0.0.1:18470" }
agents:
  - { id: server, token_sha256: ${createHash('sha256').update(TOKEN).digest('hex')}, targets: [web6] }
targets:
  - { name: web6, address: "2001:db8:5::10", port: ${PORT} }
`;
    const file = join(dir, 'synack.yaml');
    await writeFile(file, yaml);
    const tokenFile = join(dir, 'agent.token');
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const agentFile = join(dir, 'agent.yaml');
    await writeFile(
      agentFile,
      `agent:\n  id: server\n  collector: http://127.0.0.1:18470\n  token_file: ${tokenFile}\n  interval: 2s\n`,
    );
    const parsed = parseConfig(yaml, file, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const listener = lab.spawn('server', [process.execPath, LISTENER, '--port', String(PORT)]);
    await waitForLine(listener, 'listening', 10_000, ['tcp-listener']);
    // The agent reaches a collector in its own namespace; Redis is shared over the unix socket.
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
    // A second collector here, sharing Redis, serves the API to the test.
    api = await collector({ ...parsed.config, collector: { ...parsed.config.collector, listen: '127.0.0.1:0' } });
    stops.push(api.stop);
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await lab?.destroy();
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  type Diag = {
    verdict: string;
    status: string;
    scope: { families: string[]; regions: string[] };
    evidence: EvidenceFact[];
  };
  const current = async () => (await api.get<{ current: Diag[] }>('/v1/diagnoses?target=web6')).current[0];

  it('names a missing IPv6 default route as the cause, with the agent’s evidence, and resolves when it returns', async () => {
    // Healthy first: both regions answered over IPv6.
    await waitForAsync(
      async () => {
        const { targets } = await api.get<{ targets: { region: string; lastOutcome: string | null }[] }>('/v1/targets');
        return targets.filter((t) => t.lastOutcome === 'synack' || t.lastOutcome === 'established').length === 4;
      },
      20_000,
      'healthy probes from both regions',
    );
    const injected = Date.now();
    await lab.run('server', ['ip', '-6', 'route', 'del', 'default']);
    await waitForAsync(async () => (await current())?.verdict === 'server_no_route_to_client', 20_000, 'the verdict');
    const seconds = (Date.now() - injected) / 1000;
    // The failing route lookup decides it; the counters of the dropped SYNs follow in the next
    // snapshots, and the open diagnosis is updated with them.
    const factsOf = (d: Diag | undefined) => Object.fromEntries((d?.evidence ?? []).map((e) => [e.fact, e.value]));
    await waitForAsync(
      async () => {
        const facts = factsOf(await current());
        return Number(facts.TcpExtListenDrops) > 0 && Number(facts.Ip6OutNoRoutes) > 0;
      },
      15_000,
      'the dropped SYNs in the evidence',
    );
    const diagnosis = await current();
    expect(diagnosis).toMatchObject({ status: 'open', scope: { families: ['v6'], regions: ['a', 'b'] } });
    const facts = factsOf(diagnosis);
    expect(facts['route get 2001:db8:a::2 (a)']).toMatch(/^unreachable/);
    expect(facts['route get 2001:db8:b::2 (b)']).toMatch(/^unreachable/);
    // One drop per SYN the kernel could not answer, counted as a route failure, queue empty.
    expect(Number(facts.TcpExtListenDrops)).toBeGreaterThan(0);
    expect(Number(facts.Ip6OutNoRoutes)).toBeGreaterThan(0);
    expect(facts.TcpExtListenOverflows).toBe(0);
    expect(facts['v6 [::]:8443 accept queue']).toMatch(/^0\//);
    expect(seconds).toBeLessThan(15);
    await lab.run('server', ['ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:5::1']);
    await waitForAsync(async () => (await current())?.status === 'resolved', 20_000, 'the diagnosis to resolve');
  });
});
