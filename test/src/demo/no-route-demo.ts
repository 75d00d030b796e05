import type { DiagnosisRecord } from '@synack/collector/diagnosis/diagnosis-state';
import { formatDiagnosis } from '../../../cli/src/diagnosis-text.ts';
import { labAvailability } from '../lab/lab-availability.ts';
import { startAgentLab } from '../support/agent-lab-stack.ts';
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
step('the lab: regions a and b probe web (IPv6) and web4 (IPv4) through a router; the server runs the agent');
const { lab, api, stop } = await startAgentLab({
  prefix: 'demo',
  port: PORT,
  defaults: '{ interval: 10s, timeout: 1500ms, failing_interval: 2s }',
  targets: [
    `  - { name: web, address: "2001:db8:5::10", port: ${PORT} }`,
    `  - { name: web4, address: 203.0.113.10, port: ${PORT} }`,
  ].join('\n'),
  agentTargets: ['web'],
  agentInterval: '5s',
});
try {
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
  // Regions take turns over the interval: the first to probe opens the diagnosis, the other
  // widens its scope a few seconds later.
  await waitForAsync(
    async () => {
      const d = await current();
      return d?.verdict === 'server_no_route_to_client' && d.scope.regions.join() === 'a,b';
    },
    60_000,
    'the diagnosis, from both regions',
  );
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
  await stop();
}
