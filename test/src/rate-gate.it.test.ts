import { RateGate } from '@synack/collector/probes/rate-gate';
import { describe, expect, it } from 'vitest';
import { redisForFile } from './support/redis-for-file.ts';

const fixture = redisForFile();

describe('RateGate (GCRA in Redis)', () => {
  const perMinute = (count: number) => ({ count, perMs: 60_000 });

  it('lets a burst of `count` through, then one per count-th of the period', async () => {
    const gate = new RateGate(fixture.redis, () => 'rg1');
    const t0 = 1_000_000;
    const check = [{ key: 'user:u1', limit: perMinute(3) }];
    for (let i = 0; i < 3; i++) expect(await gate.take(check, t0)).toEqual({ ok: true });
    expect(await gate.take(check, t0)).toEqual({ ok: false, key: 'user:u1', retryAfterMs: 20_000 });
    expect(await gate.take(check, t0 + 19_999)).toMatchObject({ ok: false, retryAfterMs: 1 });
    expect(await gate.take(check, t0 + 20_000)).toEqual({ ok: true });
    expect(await gate.take(check, t0 + 20_000)).toMatchObject({ ok: false });
    // A full period later the whole burst is back.
    for (let i = 0; i < 3; i++) expect(await gate.take(check, t0 + 80_000)).toEqual({ ok: true });
  });

  it('takes from every limit or from none: a refusal by one costs nothing against the others', async () => {
    const gate = new RateGate(fixture.redis, () => 'rg2');
    const t0 = 5_000_000;
    const user = { key: 'user:u1', limit: perMinute(10) };
    const target = { key: 'target:web', limit: perMinute(2) };
    expect(await gate.take([user, target], t0)).toEqual({ ok: true });
    expect(await gate.take([user, target], t0)).toEqual({ ok: true });
    expect(await gate.take([user, target], t0)).toMatchObject({ ok: false, key: 'target:web' });
    // The user's limit was charged twice, not three times: 8 more fit.
    for (let i = 0; i < 8; i++) expect(await gate.take([user], t0)).toEqual({ ok: true });
    expect(await gate.take([user], t0)).toMatchObject({ ok: false, key: 'user:u1' });
  });

  it('charges a request its cost: 3 source ports take 3 of the burst', async () => {
    const gate = new RateGate(fixture.redis, () => 'rg4');
    const t0 = 9_000_000;
    const target = (cost: number) => [{ key: 'target:10.0.0.1:443', limit: perMinute(5), cost }];
    expect(await gate.take(target(3), t0)).toEqual({ ok: true });
    expect(await gate.take(target(3), t0)).toMatchObject({ ok: false, retryAfterMs: 12_000 });
    expect(await gate.take(target(2), t0)).toEqual({ ok: true });
  });

  it("uses Redis's clock when given none, so collectors with skewed clocks agree", async () => {
    const gate = new RateGate(fixture.redis, () => 'rg5');
    const check = [{ key: 'user:u9', limit: perMinute(1) }];
    expect(await gate.take(check)).toEqual({ ok: true });
    const refused = await gate.take(check);
    expect(refused).toMatchObject({ ok: false });
    expect(refused.ok === false && refused.retryAfterMs).toBeGreaterThan(55_000);
    const [seconds] = await fixture.redis.time();
    const tat = Number(await fixture.redis.get('rg5:rate:user:u9'));
    expect(Math.abs(tat - (Number(seconds) * 1000 + 60_000))).toBeLessThan(5000);
  });

  it('keeps keys apart per prefix and expires them after their period', async () => {
    const a = new RateGate(fixture.redis, () => 'rg3a');
    const b = new RateGate(fixture.redis, () => 'rg3b');
    const check = [{ key: 'channel:c1', limit: { count: 1, perMs: 1000 } }];
    const now = Date.now();
    expect(await a.take(check, now)).toEqual({ ok: true });
    expect(await b.take(check, now)).toEqual({ ok: true });
    expect(await a.take(check, now)).toMatchObject({ ok: false });
    const ttl = await fixture.redis.pttl('rg3a:rate:channel:c1');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
  });
});
