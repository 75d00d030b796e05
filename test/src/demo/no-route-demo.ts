import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiagnosisRecord } from '@synack/collector/diagnosis/diagnosis-state';
import { parseConfig } from '@synack/shared/config/parse-config';
import { formatDiagnosis } from '../../../cli/src/diagnosis-text.ts';
import { labAvailability } from '../lab/lab-availability.ts';
import { createRegionLab } from '../lab/region-lab.ts';
import { waitForLine } from '../lab/wait-for-line.ts';
import { collector, scheduler } from '../support/pipeline.ts';
import { startRedis } from '../support/redis-server.ts';
import { synackArgv } from '../support/synack-cli.ts';
import { waitForAsync } from '../support/wait-for.ts';

// `npm run demo`: the case from DEVELOPERS.md, told from start to finish in a network-namespace
// lab. Two regions probe a server through a router; the server runs the synack agent. Then the
// server loses its IPv6 default route, and synack says why the SYN-ACKs stopped coming.
const PORT = 8443;
const say = (text: string) => process.stdout.write(`${text}\n`);
const step = (text: string) => say(`\n\x1b[1m== ${text}\x1b[0m`);

const available = labAvailability();
if (!available.ok) {
  process.stderr.write(`demo: ${available.why}\n`);
  process.exit(2);
}
const lab = await createRegionLab();
const dir = await mkdtemp(join(tmpdir(), 'synack-demo-'));
const socket = join(dir, 'redis.sock');
const redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
const stops: (() => Promise<void>)[] = [];
try {
  const token = randomBytes(24).toString('hex');
  const yaml = `redis: unix://${socket}
prefix: demo
regions: [a, b]
allow:
  - { cidr: 203.0.113.10/32, ports: "${PORT}" }
  - { cidr: "2001:db8:5::10/128", ports: "${PORT}" }
defaults: { interval: 10s, timeout: 1500ms, failing_interval: 2s }
collector: { listen: "127.0.0.1:18470" }
agents:
  - { id: server, token_sha256: ${createHash('sha256').update(token).digest('hex')}, targets: [web] }
targets:
  - { name: web, address: "2001:db8:5::10", port: ${PORT}, probes: [syn, connect] }
  - { name: web4, address: 203.0.113.10, port: ${PORT}, probes: [syn, connect] }
`;
  const file = join(dir, 'synack.yaml');
  await writeFile(file, yaml);
  const tokenFile = join(dir, 'agent.token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const agentFile = join(dir, 'agent.yaml');
  await writeFile(
    agentFile,
    `agent:\n  id: server\n  collector: http://127.0.0.1:18470\n  token_file: ${tokenFile}\n  interval: 5s\n`,
  );
  const parsed = parseConfig(yaml, file, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));

  step('the lab: regions a and b probe web (IPv6) and web4 (IPv4) through a router; the server runs the agent');
  const listener = lab.spawn('server', [
    process.execPath,
    fileURLToPath(new URL('../lab/tcp-listener.ts', import.meta.url)),
    '--port',
    String(PORT),
  ]);
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
  const current = async () =>
    (await api.get<{ current: DiagnosisRecord[] }>('/v1/diagnoses?target=web')).current[0] ?? null;
  const answered = async () => {
    const { targets } = await api.get<{ targets: { lastOutcome: string | null }[] }>('/v1/targets');
    return targets.filter((t) => t.lastOutcome === 'synack' || t.lastOutcome === 'established').length;
  };
  await waitForAsync(async () => (await answered()) === 8, 30_000, 'every region to get answers');
  say('both regions get SYN-ACKs from web and web4, over raw SYN and connect()');

  step('the server loses its IPv6 default route: ip -6 route del default');
  await lab.run('server', ['ip', '-6', 'route', 'del', 'default']);
  const injected = Date.now();
  say('on the server, `ss -ltn` still looks healthy: the listener is there, its queue empty');
  await waitForAsync(async () => (await current())?.verdict === 'server_no_route_to_client', 60_000, 'the diagnosis');
  await waitForAsync(
    async () => {
      const facts = Object.fromEntries((await current())?.evidence.map((e) => [e.fact, e.value]) ?? []);
      return Number(facts.Ip6OutNoRoutes) > 0 && Number(facts.TcpExtListenDrops) > 0;
    },
    30_000,
    'the counters in the evidence',
  );
  say(`synack named it ${((Date.now() - injected) / 1000).toFixed(1)} s after the route went:\n`);
  say(formatDiagnosis(await current(), 'web', Date.now()));

  step('the route comes back: ip -6 route add default via 2001:db8:5::1');
  await lab.run('server', ['ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:5::1']);
  await waitForAsync(async () => (await current())?.status === 'resolved', 60_000, 'the diagnosis to resolve');
  say(formatDiagnosis(await current(), 'web', Date.now()));
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await lab.destroy();
  await redis.cleanup();
  await rm(dir, { recursive: true, force: true });
}
