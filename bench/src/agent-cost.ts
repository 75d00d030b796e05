// The host agent's cost at one snapshot per second: the agent of the two-region lab (the real
// `synack agent`, with its route lookups, nft and tracefs readers, posting to the collector) is
// sampled from /proc for --seconds after a warm-up: CPU (its own, and the `ip`/`nft` children it
// runs and waits for) and RSS. Writes bench/results/agent-cost.json. Needs root.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startAgentLab } from '../../test/src/support/agent-lab-stack.ts';
import { procSample, round1, sleep } from './scheduling/proc-sample.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);

/** CPU seconds of the children a process has waited for (cutime + cstime). */
function childCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const stack = await startAgentLab({
  prefix: 'agentcost',
  port: 8080,
  defaults: '{ interval: 10s, timeout: 4s }',
  targets: '  - { name: web, address: web.lab, port: 8080 }',
  agentTargets: ['web'],
  agentInterval: '1s',
});
const redis = new Redis(stack.config.redisUrl);
try {
  const pid = stack.pids.agent as number;
  const snapshots = () => redis.llen(`agentcost:snap:server`);
  await sleep(warmup * 1000);
  const before = { ...procSample(pid), children: childCpuSeconds(pid), snapshots: await snapshots(), at: Date.now() };
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    rss.push(procSample(pid).rssMiB);
  }
  const after = { ...procSample(pid), children: childCpuSeconds(pid), snapshots: await snapshots(), at: Date.now() };
  const wall = (after.at - before.at) / 1000;
  const taken = after.snapshots - before.snapshots;
  const own = after.cpuSeconds - before.cpuSeconds;
  const children = after.children - before.children;
  const result = {
    at: new Date().toISOString(),
    seconds: round1(wall),
    snapshotsPerSecond: round1(taken / wall),
    cpuPercentOfCore: round1(((own + children) / wall) * 100),
    agentCpuPercent: round1((own / wall) * 100),
    childrenCpuPercent: round1((children / wall) * 100),
    cpuMsPerSnapshot: round1(((own + children) * 1000) / Math.max(1, taken)),
    rssMiB: { mean: round1(rss.reduce((a, b) => a + b, 0) / rss.length), max: Math.max(...rss) },
  };
  if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  redis.disconnect();
  await stack.stop();
}
