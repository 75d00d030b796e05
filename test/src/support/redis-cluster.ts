import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from './redis-server.ts';

/** A Redis Cluster of `size` masters on loopback, started by the test with `redis-server`. */
export type TestCluster = { nodes: TestRedis[]; url: string; cleanup: () => Promise<void> };

export async function startRedisCluster(size = 3): Promise<TestCluster> {
  const nodes: TestRedis[] = [];
  try {
    for (let i = 0; i < size; i++) {
      nodes.push(
        await startRedis([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${i}.conf`,
          '--cluster-announce-ip',
          '127.0.0.1',
        ]),
      );
    }
    await promisify(execFile)(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    );
    // Every node must agree before clients are let loose: slots assigned, state ok.
    const deadline = performance.now() + 20_000;
    for (const node of nodes) {
      const admin = new Redis(node.url);
      try {
        while (!String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
          if (performance.now() > deadline) throw new Error(`cluster node ${node.port} never reached cluster_state:ok`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        admin.disconnect();
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.cleanup()));
    throw error;
  }
  return {
    nodes,
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    cleanup: async () => {
      await Promise.all(nodes.map((n) => n.cleanup()));
    },
  };
}
