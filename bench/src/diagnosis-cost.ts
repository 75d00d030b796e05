// The collector's cost per diagnosis: N failing targets, each with attempts from two regions over
// the window and an agent whose snapshots cover the failure, diagnosed --rounds times each through
// the real DiagnosisService against a real redis-server. Reports, per diagnosis: collector CPU,
// wall time, Redis CPU and Redis commands. Writes bench/results/diagnosis-cost.json.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SnapshotStore } from '@synack/collector/agents/snapshot-store';
import { DiagnosisService } from '@synack/collector/diagnosis/diagnosis-service';
import { ingestAttempt } from '@synack/collector/store/ingest-script';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import { Redis } from 'ioredis';
import { silent, testConfig } from '../../test/src/support/pipeline.ts';
import { startRedis } from '../../test/src/support/redis-server.ts';
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
  - { id: srv, token_sha256: "${'ab'.repeat(32)}", targets: [${names.join(', ')}] }
targets:
${names.map((n) => `  - { name: ${n}, address: 203.0.113.10, port: 80, interval: 10s }`).join('\n')}
`,
    server.url,
  );
  const now = Date.now();
  const start = now - 20_000;
  // Ten failed rounds per region and kind over the last 20 s; snapshots every second since.
  for (const name of names) {
    for (const region of ['a', 'b']) {
      for (let i = 0; i < 10; i++) {
        for (const kind of ['syn', 'connect'] as const) {
          const startedAtMs = start + i * 2000;
          const id = randomUUID();
          const record = {
            id,
            kind,
            outcome: 'timeout',
            startedAt: new Date(startedAtMs).toISOString(),
            target: { name, address: '203.0.113.10', port: 80, family: 'v4' },
          };
          await ingestAttempt(
            redis,
            config.prefix,
            {
              id,
              target: name,
              region,
              kind,
              startedAtMs,
              success: false,
              rttUs: null,
              outcome: 'timeout',
              recordJson: JSON.stringify(record),
            },
            startedAtMs,
          );
        }
      }
    }
    await redis.hset(`${config.prefix}:failing`, name, String(start));
  }
  const snapshots = new SnapshotStore(redis, () => config.prefix);
  for (let at = start + 1000; at <= now; at += 1000) {
    const snapshot: AgentSnapshot = {
      v: 1,
      agentId: 'srv',
      host: 'srv',
      atMs: at,
      sinceMs: at - 1000,
      trigger: 'periodic',
      seq: at,
      counterDeltas: { TcpExtListenDrops: 4, IpOutNoRoutes: 4, TcpPassiveOpens: 100, TcpOutRsts: 3 },
      listeners: [
        { family: 'v4', address: '0.0.0.0', port: 80, acceptQueue: 0, acceptQueueMax: 128, synRecv: 0, v6Only: null },
      ],
      routes: ['a', 'b'].map((region, i) => ({
        destination: `10.${i + 1}.0.2`,
        family: 'v4' as const,
        regions: [region],
        result: 'unreachable' as const,
        error: 'Network is unreachable',
      })),
      sysctls: { 'net.ipv4.tcp_syncookies': '1' },
      firewall: [],
      drops: [],
      sources: [],
    };
    await snapshots.save(snapshot);
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
