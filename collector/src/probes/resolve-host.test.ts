import { describe, expect, it } from 'vitest';
import { hostResolver } from './resolve-host.ts';

describe('hostResolver', () => {
  it('answers, times out, and holds a slot until a slow lookup really ends', async () => {
    const pending: (() => void)[] = [];
    const resolve = hostResolver({
      timeoutMs: 50,
      maxInFlight: 1,
      lookup: (host) =>
        host === 'slow.example'
          ? new Promise((done) => pending.push(() => done([{ address: '10.0.0.1', family: 4 }])))
          : Promise.resolve([{ address: '2001:db8::1', family: 6 }]),
    });
    expect(await resolve('fast.example')).toEqual([{ address: '2001:db8::1', family: 6 }]);
    await expect(resolve('slow.example')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    // The slow lookup still runs: no second lookup may start.
    await expect(resolve('fast.example')).rejects.toMatchObject({ code: 'EBUSY' });
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(await resolve('fast.example')).toHaveLength(1);
  });
});
