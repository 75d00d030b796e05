import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TargetStatus } from '@synack/collector/api/target-status';
import { parseConfig } from '@synack/shared/config/parse-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLabOrSkip } from './lab/lab-availability.ts';
import { createRegionLab, type RegionLab } from './lab/region-lab.ts';
import { waitForLine } from './lab/wait-for-line.ts';
import { collector, scheduler } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { synackArgv } from './support/synack-cli.ts';
import { testSigning } from './support/test-signing.ts';
import { waitForAsync } from './support/wait-for.ts';

const PORT = 8443;
const LISTENER = fileURLToPath(new URL('./lab/tcp-listener.ts', import.meta.url));

// End to end, as deployed: a runner process in each region's namespace (raw SYN and connect,
// IPv4 and IPv6) probing a server namespace; Redis reached over a unix socket (namespaces do not
// separate those); scheduler and collector here. Then a fault on one region's path only.
describe.skipIf(requireLabOrSkip())('two regions probing one server (needs root)', () => {
  let lab: RegionLab;
  let redis: TestRedis;
  let dir: string;
  const stops: (() => Promise<void>)[] = [];
  let api: Awaited<ReturnType<typeof collector>>;

  beforeAll(async () => {
    lab = await createRegionLab();
    dir = await mkdtemp(join(tmpdir(), 'synack-e2e-'));
    const socket = join(dir, 'redis.sock');
    redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
    // Runners get the public key only; the scheduler and collector here sign with the test key.
    const yaml = `redis: unix://${socket}
prefix: e2e
${testSigning().yaml()}regions: [a, b]
allow:
  - { cidr: 203.0.113.10/32, ports: "${PORT}" }
  - { cidr: "2001:db8:5::10/128", ports: "${PORT}" }
defaults: { interval: 1s, timeout: 700ms, failing_interval: 1s }
targets:
  - { name: web4, address: 203.0.113.10, port: ${PORT} }
  - { name: web6, address: "2001:db8:5::10", port: ${PORT} }
`;
    const file = join(dir, 'synack.yaml');
    await writeFile(file, yaml);
    const parsed = parseConfig(yaml, file, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const listener = lab.spawn('server', [process.execPath, LISTENER, '--port', String(PORT)]);
    await waitForLine(listener, 'listening', 10_000, ['tcp-listener']);
    for (const region of ['a', 'b'] as const) {
      const runner = lab.spawn(
        region,
        synackArgv('runner', '--region', region, '--id', `runner-${region}`, '--config', file),
      );
      // Drained, or a full pipe would stall the runner's logging.
      runner.stderr?.resume();
      runner.stdout?.resume();
    }
    const s = scheduler(parsed.config);
    s.service.start();
    stops.push(s.stop);
    api = await collector(parsed.config);
    stops.push(api.stop);
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await lab?.destroy();
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const rows = async () => (await api.get<{ targets: TargetStatus[] }>('/v1/targets')).targets;
  const outcomes = (list: TargetStatus[]) =>
    Object.fromEntries(list.map((t) => [`${t.target} ${t.region} ${t.kind}`, t.lastOutcome]));

  it('both regions see the service answer, over both families and both probe kinds', async () => {
    await waitForAsync(
      async () => (await rows()).filter((t) => t.lastOutcome !== null).length === 8,
      20_000,
      'all 8 series',
    );
    expect(outcomes(await rows())).toEqual({
      'web4 a connect': 'established',
      'web4 a syn': 'synack',
      'web4 b connect': 'established',
      'web4 b syn': 'synack',
      'web6 a connect': 'established',
      'web6 a syn': 'synack',
      'web6 b connect': 'established',
      'web6 b syn': 'synack',
    });
    type Live = { id: string; rawSyn: boolean; sourceAddresses: string[] };
    const live = async () => (await api.get<{ runners: Live[] }>('/v1/runners')).runners;
    // Source addresses travel with the next heartbeat after the first probes.
    await waitForAsync(
      async () => {
        const list = await live();
        return list.length === 2 && list.every((r) => r.sourceAddresses.length === 2);
      },
      10_000,
      'heartbeats with sources',
    );
    const runners = await live();
    expect(runners.map((r) => [r.id, r.rawSyn, [...r.sourceAddresses].sort()])).toEqual([
      ['runner-a', true, [lab.sources.a.v6, lab.sources.a.v4].sort()],
      ['runner-b', true, [lab.sources.b.v6, lab.sources.b.v4].sort()],
    ]);
  });

  it("a fault on region b's path shows up in region b's results only", async () => {
    // The server drops what comes from region b: b times out, a keeps getting answers.
    await lab.nft(
      'server',
      `table inet fault { chain input { type filter hook input priority 0; ip saddr 10.2.0.0/24 tcp dport ${PORT} drop; ip6 saddr 2001:db8:b::/64 tcp dport ${PORT} drop; } }`,
    );
    const since = Date.now();
    await waitForAsync(
      async () =>
        (await rows()).filter((t) => t.region === 'b' && t.lastOutcome === 'timeout' && (t.lastAtMs ?? 0) > since)
          .length === 4,
      20_000,
      "region b's four series to time out",
    );
    const now = await rows();
    for (const t of now.filter((r) => r.region === 'a')) {
      expect([t.target, t.kind, t.lastOutcome]).toEqual([
        t.target,
        t.kind,
        t.kind === 'syn' ? 'synack' : 'established',
      ]);
      expect(t.lastAtMs).toBeGreaterThan(since);
    }
    for (const t of now.filter((r) => r.region === 'b')) expect(t.lastOutcome).toBe('timeout');
  });

  it("diagnoses region b's failure, names it when the evidence does, and resolves it", async () => {
    type Diag = { verdict: string; status: string; scope: { families: string[]; regions: string[] } };
    const current = async (target: string) =>
      (await api.get<{ current: Diag[] }>(`/v1/diagnoses?target=${target}`)).current[0];
    // Still the silent drop from the previous case, and no agent on the server: an honest unknown,
    // scoped to region b.
    await waitForAsync(async () => (await current('web4'))?.status === 'open', 15_000, 'a diagnosis to open');
    expect(await current('web4')).toMatchObject({ verdict: 'unknown', scope: { families: ['v4'], regions: ['b'] } });
    // The server's firewall now rejects region b with admin-prohibited: the ICMP sender and code
    // name it, without an agent.
    await lab.run('server', ['nft', 'delete', 'table', 'inet', 'fault']);
    await lab.nft(
      'server',
      `table inet fault { chain input { type filter hook input priority 0; ip saddr 10.2.0.0/24 tcp dport ${PORT} reject with icmp type admin-prohibited; ip6 saddr 2001:db8:b::/64 tcp dport ${PORT} reject with icmpv6 type admin-prohibited; } }`,
    );
    await waitForAsync(
      async () => (await current('web6'))?.verdict === 'firewall_reject',
      20_000,
      'firewall_reject for web6',
    );
    expect(await current('web6')).toMatchObject({ status: 'open', scope: { families: ['v6'], regions: ['b'] } });
    const text = await promisify(execFile)(
      process.execPath,
      [...synackArgv('diagnose', 'web6', '--collector', api.handle.url).slice(1)],
      { timeout: 20_000 },
    ).catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code }));
    expect(text.stdout).toMatch(/^web6: firewall_reject {2}\(IPv6; region b\) {2}open since/);
    expect(text.stdout).toMatch(
      /icmp +b\/v6 type 1 code 1 from 2001:db8:5::10 \(the server itself\) +admin_prohibited/,
    );
    expect(text.stdout).toMatch(/^Next: /m);
    // Fault gone: the next probes succeed and the diagnosis resolves.
    await lab.run('server', ['nft', 'delete', 'table', 'inet', 'fault']);
    await waitForAsync(async () => (await current('web6'))?.status === 'resolved', 20_000, 'the diagnosis to resolve');
    await waitForAsync(async () => (await current('web4'))?.status === 'resolved', 20_000, 'web4 to resolve');
  });
});
