// The collector's cost per diagnosis: N failing targets, each with attempts from two regions over
// the window and an agent whose snapshots cover the failure, diagnosed --rounds times each through
// the real DiagnosisService against a real redis-server. Reports, per diagnosis: collector CPU,
// wall time, Redis CPU and Redis commands. Writes bench/results/diagnosis-cost.json.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SnapshotStore } from '@synack/collector/agents/snapshot-store';
import { DiagnosisService } from '@synack/collector/diagnosis/diagnosis-service';
import { Redis } from 'ioredis';
import { agentSnapshot, ingestTimeout } from '../../test/src/support/diagnosis-fixtures.ts';
import { silent, testConfig } from '../../test/src/support/pipeline.ts';
import { startRedis } from '../../test/src/support/redis-server.ts';
import { testSigning } from '../../test/src/support/test-signing.ts';
import { parseInfo, round1 } from './scheduling/proc-sample.ts';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const targets = Number(values.targets);
const rounds = Number(values.rounds);

const server = await startRedis();
const redis = new Redis(server.url);
try {
  const names = Array.from({ length: targets }, (_, i) => `t${i}`);
  const config = testConfig(
    `regions: [a, b]
allow: [{ cidr: 203.0.113.0/24, ports: "80" }]
agents:
  - { id: srv, public_key: "${testSigning().publicKey}", targets: [${names.join(', ')}] }
targets:
${names.map((n) => `  - { name: ${n}, address: 203.0.113.10, port: 80, interval: 10s }`).join('\n')}
`,
    server.url,
  );
  const now = Date.now();
  const start = now - 20_000;
  // Ten failed rounds per region and kind over the last 20 s; snapshots every second since.
  for (const name of names) {
    for (const region of ['a', 'b'])
      for (let i = 0; i < 10; i++)
        for (const kind of ['syn', 'connect'] as const)
          await ingestTimeout(redis, config.prefix, name, region, kind, start + i * 2000);
    await redis.hset(`${config.prefix}:failing`, name, String(start));
  }
  const snapshots = new SnapshotStore(redis, () => config.prefix);
  for (let at = start + 1000; at <= now; at += 1000) {
    await snapshots.save(
      agentSnapshot(
        at,
        at - 1000,
        { TcpExtListenDrops: 4, IpOutNoRoutes: 4, TcpPassiveOpens: 100, TcpOutRsts: 3 },
        'unreachable',
      ),
    );
  }
  const service = new DiagnosisService({ config: () => config, redis, logger: silent, now: () => now });
  const info = async () => parseInfo(await redis.info());
  // Warm-up: the first round opens every diagnosis (a write each); later rounds are the steady state.
  for (const name of names) await service.diagnoseTarget(name);
  const before = await info();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const name of names) await service.diagnoseTarget(name);
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const after = await info();
  const runs = rounds * targets;
  const redisCpu =
    Number(after.used_cpu_user) +
    Number(after.used_cpu_sys) -
    Number(before.used_cpu_user) -
    Number(before.used_cpu_sys);
  const commands = Number(after.total_commands_processed) - Number(before.total_commands_processed);
  const verdict = (await service.diagnoseTarget('t0'))?.verdict;
  const result = {
    at: new Date().toISOString(),
    targets,
    rounds,
    verdict,
    perDiagnosis: {
      collectorCpuUs: round1((used.user + used.system) / runs),
      wallUs: round1((wallMs * 1000) / runs),
      redisCpuUs: round1((redisCpu * 1e6) / runs),
      redisCommands: round1(commands / runs),
    },
  };
  if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  redis.disconnect();
  await server.cleanup();
}
