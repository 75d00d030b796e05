import { Redis } from 'ioredis';
import { parseInfo } from './scheduling/proc-sample.ts';

/** A client to the benchmark's own redis-server on 127.0.0.1, once it answers PING (10 s at most). */
export async function connectLocalRedis(port: number, db = 0): Promise<Redis> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const client = new Redis({ port, host: '127.0.0.1', db, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return client;
    } catch (error) {
      client.disconnect();
      if (performance.now() > deadline)
        throw new Error(`redis-server on port ${port} did not answer`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** One INFO section's fields. */
export async function redisInfo(redis: Redis, section: string): Promise<Record<string, string>> {
  return parseInfo(await redis.info(section));
}
