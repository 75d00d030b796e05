import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import type { Cluster, Redis } from 'ioredis';

// At one snapshot a second, ten minutes; at the usual 10 s, more than an hour and a half.
const KEPT = 600;

/** Agents' snapshots in Redis (newest first, bounded), and the collector's requests for fresh ones. */
export class SnapshotStore {
  private readonly redis: Redis | Cluster;
  private readonly prefix: () => string;

  constructor(redis: Redis | Cluster, prefix: () => string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  async save(snapshot: AgentSnapshot): Promise<void> {
    const key = `${this.prefix()}:snap:${snapshot.agentId}`;
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(snapshot))
      .ltrim(key, 0, KEPT - 1)
      .exec();
  }

  /** The agent's snapshots taken after `sinceMs`, plus the one just before (for firewall deltas), oldest first. */
  async since(agentId: string, sinceMs: number): Promise<AgentSnapshot[]> {
    const out: AgentSnapshot[] = [];
    // Newest first: read pages until one is older than the window.
    for (let start = 0; start < KEPT; start += 50) {
      const page = await this.redis.lrange(`${this.prefix()}:snap:${agentId}`, start, start + 49);
      for (const text of page) {
        const snapshot = JSON.parse(text) as AgentSnapshot;
        out.push(snapshot);
        if (snapshot.atMs <= sinceMs) return out.reverse();
      }
      if (page.length < 50) break;
    }
    return out.reverse();
  }

  /** Asks the agent for a snapshot now; it sees the request within its long poll. */
  async request(agentId: string): Promise<void> {
    await this.redis.set(`${this.prefix()}:snapreq:${agentId}`, String(Date.now()), 'PX', 30_000);
  }

  /** Takes the pending request, if any (only one waiter gets it). */
  async takeRequest(agentId: string): Promise<boolean> {
    return (await this.redis.getdel(`${this.prefix()}:snapreq:${agentId}`)) !== null;
  }
}
