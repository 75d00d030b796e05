import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type TestRedis } from './redis-server.ts';

/**
 * A redis-server of the test file's own, with a client to it: started before the file's tests,
 * stopped after them. Read `server` and `redis` inside tests and hooks (they are set in beforeAll).
 */
export function redisForFile(): { readonly server: TestRedis; readonly redis: Redis } {
  const fixture = {} as { server: TestRedis; redis: Redis };
  beforeAll(async () => {
    fixture.server = await startRedis();
    fixture.redis = new Redis(fixture.server.url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await fixture.redis?.quit();
    await fixture.server?.cleanup();
  });
  return fixture;
}
