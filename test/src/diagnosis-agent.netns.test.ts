import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { EvidenceFact } from '@synack/shared/verdict';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLabOrSkip } from './lab/lab-availability.ts';
import type { RegionLab } from './lab/region-lab.ts';
import { startAgentLab } from './support/agent-lab-stack.ts';
import { synackArgv } from './support/synack-cli.ts';
import { waitForAsync } from './support/wait-for.ts';

const PORT = 8443;

// The case from DEVELOPERS.md, end to end: the server loses its IPv6 route back to region b. The
// SYNs still arrive; the kernel drops each one (ListenDrops) while the listen queue stays healthy. A real agent on the server reports that, with the failing route lookup, and the
// collector names it: server_no_route_to_client, IPv6, region b. Then the route comes back.
describe.skipIf(requireLabOrSkip())('host agent evidence in the two-region lab (needs root)', () => {
  let stack: Awaited<ReturnType<typeof startAgentLab>>;
  let lab: RegionLab;
  let api: Awaited<ReturnType<typeof startAgentLab>>['api'];

  beforeAll(async () => {
    stack = await startAgentLab({
      prefix: 'agent-e2e',
      port: PORT,
      defaults: '{ interval: 1s, timeout: 700ms, failing_interval: 1s }',
      targets: `  - { name: web6, address: "2001:db8:5::10", port: ${PORT} }`,
      agentTargets: ['web6'],
      agentInterval: '2s',
    });
    lab = stack.lab;
    api = stack.api;
  });

  afterAll(async () => {
    await stack?.stop();
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
    // `synack diagnose --fresh` probes from both regions first, then prints the updated record.
    const askedAt = Date.now();
    const fresh = await promisify(execFile)(
      process.execPath,
      [
        ...synackArgv(
          'diagnose',
          'web6',
          '--config',
          stack.config.file,
          '--collector',
          api.handle.url,
          '--fresh',
          '--json',
        ).slice(1),
      ],
      { timeout: 30_000 },
    ).catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code }));
    expect('code' in fresh ? fresh.code : 0).toBe(1);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ verdict: 'server_no_route_to_client', status: 'open' });
    expect(JSON.parse(fresh.stdout).updatedAtMs).toBeGreaterThanOrEqual(askedAt);
    await lab.run('server', ['ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:5::1']);
    await waitForAsync(async () => (await current())?.status === 'resolved', 20_000, 'the diagnosis to resolve');
  });
});
