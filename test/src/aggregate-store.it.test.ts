import { randomUUID } from 'node:crypto';
import { readSloBuckets } from '@synack/collector/slo/read-slo-buckets';
import { sloReport } from '@synack/collector/slo/slo-report';
import {
  decodeRing,
  encodeRing,
  epochHour,
  epochMinute,
  HOUR_MS,
  HOUR_RING,
  MINUTE_MS,
  MINUTE_RING,
  ringByteLength,
  ringIndex,
} from '@synack/collector/store/bucket-math';
import {
  defineIngestCommand,
  type IngestInput,
  ingestAttempt,
  ingestBatch,
  parseIngestReply,
  queueIngestAttempt,
  type Series,
  storeKeys,
} from '@synack/collector/store/ingest-script';
import { listSeries, readHistory, readLatest, readWindow } from '@synack/collector/store/read-aggregates';
import { decodeSloRing, SLO_RINGS, sloRingByteLength } from '@synack/collector/store/slo-ring';
import type { AttemptRecord } from '@synack/shared/attempt-record';
import { isAnswered } from '@synack/shared/probe-outcome';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisForFile } from './support/redis-for-file.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';

// Mid-minute and mid-hour, so bucket edges show.
const NOW_MS = Date.UTC(2025, 2, 1, 10, 25, 30);
const WEB: Series = { target: 'web-1', region: 'eu-west', kind: 'syn' };

const fixture = redisForFile();
let redis: Redis;
let prefix: string;

beforeAll(() => {
  redis = fixture.redis;
});

beforeEach(() => {
  prefix = `it-${randomUUID()}`;
});

afterEach(async () => {
  await deleteKeys(redis, prefix);
});

async function deleteKeys(client: Redis, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(keyPrefix)}:*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function record(id: string, startedAtMs: number, kind: 'syn' | 'connect', answered: boolean): AttemptRecord {
  const base = {
    v: 1 as const,
    id,
    target: { name: 'web-1', address: '192.0.2.10', port: 443, family: 'v4' as const },
    source: { address: '192.0.2.1', port: 40_000 },
    startedAt: new Date(startedAtMs).toISOString(),
    synSentUs: [0],
    answerUs: answered ? 3_000 : null,
    rttUs: answered ? 3_000 : null,
    retransmits: 0,
  };
  return kind === 'syn'
    ? { ...base, kind, outcome: answered ? 'synack' : 'timeout', answeredSyn: answered ? 0 : null }
    : { ...base, kind, outcome: answered ? 'established' : 'timeout' };
}

/** An ingest input built from a real attempt record, as the collector will build it. */
function attempt(startedAtMs: number, options: Partial<IngestInput> & { answered?: boolean } = {}): IngestInput {
  const { answered = true, ...overrides } = options;
  const series = { ...WEB, ...overrides };
  const id = overrides.id ?? randomUUID();
  const rec = record(id, startedAtMs, series.kind, answered);
  return {
    id,
    target: series.target,
    region: series.region,
    kind: series.kind,
    startedAtMs,
    success: isAnswered(rec.outcome),
    rttUs: rec.rttUs,
    outcome: rec.outcome,
    recordJson: JSON.stringify(rec),
    ...overrides,
  };
}

async function minuteRingOf(series: Series) {
  return decodeRing(await redis.getBuffer(storeKeys.minuteRing(prefix, series)), MINUTE_RING);
}

async function hourRingOf(series: Series) {
  return decodeRing(await redis.getBuffer(storeKeys.hourRing(prefix, series)), HOUR_RING);
}

describe('SLO rings (real Redis)', () => {
  const slo = (state: 'good' | 'bad' | 'excluded', thresholdMs = 500) => ({ slo: { thresholdMs, state } });

  it('counts good, bad and excluded attempts per minute and hour at the threshold, and only counted ones', async () => {
    const inputs = [
      attempt(NOW_MS - 1000, slo('good')),
      attempt(NOW_MS - 2000, slo('bad')),
      attempt(NOW_MS - 3000, slo('excluded')),
      attempt(NOW_MS - 2 * HOUR_MS, slo('good')),
      // An on-demand probe is not a measurement: no SLO counts, whatever it says.
      attempt(NOW_MS - 4000, { ...slo('bad'), countable: false }),
    ];
    expect(await ingestBatch(redis, prefix, inputs, NOW_MS)).toEqual(['new', 'new', 'new', 'new', 'new']);
    const minuteKey = storeKeys.sloMinuteRing(prefix, WEB.target, WEB.region, 500);
    const minuteBytes = await redis.getBuffer(minuteKey);
    expect(minuteBytes?.length).toBe(sloRingByteLength(SLO_RINGS.minute));
    const minute = decodeSloRing(minuteBytes, SLO_RINGS.minute);
    expect(minute.headUnit).toBe(epochMinute(NOW_MS));
    // [counted, good, excluded]
    const slot = (ring: { counts: Uint32Array }, index: number) => [...ring.counts.subarray(index * 3, index * 3 + 3)];
    expect(slot(minute, ringIndex(epochMinute(NOW_MS), MINUTE_RING))).toEqual([2, 1, 1]);
    const hour = decodeSloRing(
      await redis.getBuffer(storeKeys.sloHourRing(prefix, WEB.target, WEB.region, 500)),
      SLO_RINGS.hour,
    );
    expect(slot(hour, ringIndex(epochHour(NOW_MS), HOUR_RING))).toEqual([2, 1, 1]);
    expect(slot(hour, ringIndex(epochHour(NOW_MS) - 2, HOUR_RING))).toEqual([1, 1, 0]);
    // Another threshold is another SLO: nothing there.
    expect(await redis.exists(storeKeys.sloMinuteRing(prefix, WEB.target, WEB.region, 250))).toBe(0);
  });

  it('reports an SLO that matches hand computation, per region and overall', async () => {
    // eu-west: over 29 days, one hour in ten with 1 bad of 100; us-east: hourly for 2 days and
    // 5 minutes ago, all good, and one excluded.
    const inputs: IngestInput[] = [];
    const day = 24 * HOUR_MS;
    for (let h = 0; h < 29 * 24; h += 10) {
      const at = NOW_MS - 29 * day + h * HOUR_MS;
      for (let i = 0; i < 100; i++) inputs.push(attempt(at + i, slo(i === 0 ? 'bad' : 'good')));
    }
    for (let i = 0; i < 48; i++)
      inputs.push(attempt(NOW_MS - 2 * day + i * HOUR_MS, { region: 'us-east', ...slo('good') }));
    inputs.push(attempt(NOW_MS - 5 * MINUTE_MS, { region: 'us-east', ...slo('good') }));
    inputs.push(attempt(NOW_MS - 10_000, { region: 'us-east', ...slo('excluded') }));
    await ingestBatch(redis, prefix, inputs, NOW_MS);
    const { buckets, unreadable } = await readSloBuckets(
      redis,
      prefix,
      [{ target: WEB.target, regions: ['eu-west', 'us-east'], thresholdMs: 500 }],
      NOW_MS,
    );
    expect(unreadable).toEqual([]);
    const report = sloReport(
      {
        target: WEB.target,
        group: null,
        slo: {
          objective: 0.99,
          windowMs: 30 * day,
          thresholdMs: 500,
          burnAlerts: [{ severity: 'page', longMs: HOUR_MS, shortMs: 5 * MINUTE_MS, factor: 14.4 }],
        },
      },
      buckets[0] ?? {},
      NOW_MS,
    );
    const euHours = Math.ceil((29 * 24) / 10);
    expect(report.byRegion['eu-west']).toMatchObject({ good: 99 * euHours, total: 100 * euHours, excluded: 0 });
    expect(report.byRegion['us-east']).toMatchObject({ good: 49, total: 49, excluded: 1 });
    expect(report.overall).toMatchObject({ good: 99 * euHours + 49, total: 100 * euHours + 49, excluded: 1 });
    // Budget: 1% of the attempts may fail; euHours of them did.
    const allowed = 0.01 * (100 * euHours + 49);
    expect(report.budgetRemaining).toBeCloseTo(1 - euHours / allowed, 10);
    // The last hour held only us-east's good attempts: no burn.
    expect(report.burnRates.find((b) => b.windowMs === HOUR_MS)?.rate).toBe(0);
    expect(report.alerts[0]?.firing).toBe(false);
    // Data began 29 days ago: the window is about 29/30 covered.
    expect(report.overall.coverage).toBeGreaterThan(28.9 / 30);
    expect(report.overall.coverage).toBeLessThan(29.1 / 30);
    expect(report.burnDown.at(-1)?.budgetRemaining).toBeCloseTo(report.budgetRemaining ?? Number.NaN, 10);
  });
});

describe('aggregate store (real Redis)', () => {
  it('counts the same attempt id once', async () => {
    const first = attempt(NOW_MS - 1_000, { idTtlS: 3_600 });
    expect(await ingestAttempt(redis, prefix, first, NOW_MS)).toBe('new');
    expect(await ingestAttempt(redis, prefix, first, NOW_MS + 5_000)).toBe('duplicate');
    const sum = await readWindow(redis, prefix, WEB, NOW_MS - 5 * MINUTE_MS, NOW_MS, NOW_MS);
    expect(sum).toMatchObject({ attempts: 1, successes: 1, rttBins: [0, 1, 0, 0, 0, 0] });
    expect(await readHistory(redis, prefix, 'web-1', 'eu-west', 50)).toHaveLength(1);
    const ttlS = await redis.ttl(storeKeys.attemptId(prefix, first.id));
    expect(ttlS).toBeGreaterThan(3_500);
    expect(ttlS).toBeLessThanOrEqual(3_600);
  });

  it('puts a late arrival in the minute it started, not the minute it arrived', async () => {
    await ingestAttempt(redis, prefix, attempt(NOW_MS), NOW_MS);
    // Collector was down: an attempt from 10 minutes ago arrives 30 minutes after it started.
    const lateStartMs = NOW_MS - 10 * MINUTE_MS;
    expect(await ingestAttempt(redis, prefix, attempt(lateStartMs, { answered: false }), NOW_MS + 20 * MINUTE_MS)).toBe(
      'new',
    );
    const laterNowMs = NOW_MS + 20 * MINUTE_MS;
    const startMinuteMs = epochMinute(lateStartMs) * MINUTE_MS;
    expect(await readWindow(redis, prefix, WEB, startMinuteMs, startMinuteMs + MINUTE_MS, laterNowMs)).toMatchObject({
      attempts: 1,
      successes: 0,
    });
    const arrivalMinuteMs = epochMinute(laterNowMs) * MINUTE_MS;
    expect((await readWindow(redis, prefix, WEB, arrivalMinuteMs, laterNowMs, laterNowMs)).attempts).toBe(0);
    expect((await minuteRingOf(WEB)).headUnit).toBe(epochMinute(NOW_MS));
  });

  it('zeroes the buckets skipped over when time moves on, across the end of the ring', async () => {
    // Start at slot 150, so the skipped slots run past 179 and on from 0.
    const firstMinute = epochMinute(NOW_MS) - ringIndex(epochMinute(NOW_MS), MINUTE_RING) + 150;
    const minuteMs = (offset: number) => (firstMinute + offset) * MINUTE_MS + 5_000;
    const full = Array.from({ length: 180 }, (_, offset) => attempt(minuteMs(offset)));
    await ingestBatch(redis, prefix, full, minuteMs(179));
    const filled = await minuteRingOf(WEB);
    expect(filled.buckets.every((bucket) => bucket.attempts === 1)).toBe(true);

    // 50 minutes later: the 50 oldest minutes (slots 150..179, 0..19) are now a lap old.
    await ingestAttempt(redis, prefix, attempt(minuteMs(229)), minuteMs(229));
    const moved = await minuteRingOf(WEB);
    expect(moved.headUnit).toBe(firstMinute + 229);
    const slots = moved.buckets.map((bucket) => bucket.attempts);
    expect(slots.slice(150)).toEqual(new Array(30).fill(0));
    expect(slots.slice(0, 19)).toEqual(new Array(19).fill(0));
    expect(slots[19]).toBe(1); // minute 229 itself
    expect(slots.slice(20, 150)).toEqual(new Array(130).fill(1));
    // The whole minute reach, minutes 50..229: minutes 180..228 had no attempts.
    const reach = await readWindow(redis, prefix, WEB, minuteMs(50), minuteMs(230), minuteMs(229));
    expect(reach).toMatchObject({ attempts: 131, coveredFromMs: (firstMinute + 50) * MINUTE_MS });

    // More than a whole ring later: everything but the new minute is zero.
    await ingestAttempt(redis, prefix, attempt(minuteMs(229 + 400)), minuteMs(229 + 400));
    expect((await minuteRingOf(WEB)).buckets.reduce((total, bucket) => total + bucket.attempts, 0)).toBe(1);
    // The hour ring kept all 182 attempts.
    const hours = await hourRingOf(WEB);
    expect(hours.buckets.reduce((total, bucket) => total + bucket.attempts, 0)).toBe(182);
  });

  it('counts an attempt older than the minute ring in the hour ring only', async () => {
    await ingestAttempt(redis, prefix, attempt(NOW_MS), NOW_MS);
    const oldMs = NOW_MS - 4 * HOUR_MS;
    expect(await ingestAttempt(redis, prefix, attempt(oldMs), NOW_MS)).toBe('new');
    expect((await minuteRingOf(WEB)).buckets.reduce((total, bucket) => total + bucket.attempts, 0)).toBe(1);
    const hours = await hourRingOf(WEB);
    expect(hours.buckets[ringIndex(epochHour(oldMs), HOUR_RING)]?.attempts).toBe(1);
    expect((await readWindow(redis, prefix, WEB, NOW_MS - 6 * HOUR_MS, NOW_MS, NOW_MS)).attempts).toBe(2);
  });

  it('reads the hour ring when a head past now has moved the minute reach on', async () => {
    const oldestMs = (epochMinute(NOW_MS) - 179) * MINUTE_MS;
    await ingestAttempt(redis, prefix, attempt(NOW_MS + 59_000), NOW_MS);
    // One lap behind the head: in the hour ring only.
    await ingestAttempt(redis, prefix, attempt(oldestMs + 1_000), NOW_MS);
    expect((await readWindow(redis, prefix, WEB, oldestMs, NOW_MS + MINUTE_MS, NOW_MS)).attempts).toBe(2);
  });

  it('sums hour buckets over a 30-day window', async () => {
    const day = 24 * HOUR_MS;
    const starts = [NOW_MS - 32 * day, NOW_MS - 29 * day, NOW_MS - 10 * day, NOW_MS - 5 * HOUR_MS, NOW_MS - MINUTE_MS];
    for (const startedAtMs of starts) await ingestAttempt(redis, prefix, attempt(startedAtMs), NOW_MS);
    await ingestAttempt(redis, prefix, attempt(NOW_MS - 2 * day, { answered: false }), NOW_MS);
    const month = await readWindow(redis, prefix, WEB, NOW_MS - 30 * day, NOW_MS, NOW_MS);
    // 32 days ago is past the hour ring's 31 days.
    expect(month).toMatchObject({ attempts: 5, successes: 4, rttBins: [0, 4, 0, 0, 0, 0] });
    expect(month.coveredFromMs).toBe(epochHour(NOW_MS - 30 * day) * HOUR_MS);
    expect((await readWindow(redis, prefix, WEB, NOW_MS - day, NOW_MS, NOW_MS)).attempts).toBe(2);
    expect((await readWindow(redis, prefix, WEB, NOW_MS - 5 * MINUTE_MS, NOW_MS, NOW_MS)).attempts).toBe(1);
  });

  it('refuses attempts more than a minute in the future, and writes nothing for them', async () => {
    const ahead = attempt(NOW_MS + 61_000);
    expect(await ingestAttempt(redis, prefix, ahead, NOW_MS)).toBe('future');
    expect(await redis.exists(storeKeys.attemptId(prefix, ahead.id), storeKeys.minuteRing(prefix, WEB))).toBe(0);
    expect(await readHistory(redis, prefix, 'web-1', 'eu-west', 10)).toEqual([]);
    expect(await ingestAttempt(redis, prefix, attempt(NOW_MS + 59_000), NOW_MS)).toBe('new');
    // Once the clock catches up, the refused attempt counts.
    expect(await ingestAttempt(redis, prefix, ahead, NOW_MS + 2_000)).toBe('new');
  });

  it('keeps the N newest records per (target, region), all kinds, newest first', async () => {
    const inputs = Array.from({ length: 7 }, (_, n) =>
      attempt(NOW_MS - (7 - n) * 1_000, { id: `r${n}`, kind: n % 2 ? 'connect' : 'syn', historyLength: 5 }),
    );
    for (const input of inputs) await ingestAttempt(redis, prefix, input, NOW_MS);
    const history = (await readHistory(redis, prefix, 'web-1', 'eu-west', 50)) as AttemptRecord[];
    expect(history.map((r) => [r.id, r.kind])).toEqual([
      ['r6', 'syn'],
      ['r5', 'connect'],
      ['r4', 'syn'],
      ['r3', 'connect'],
      ['r2', 'syn'],
    ]);
    expect((await readHistory(redis, prefix, 'web-1', 'eu-west', 2)).length).toBe(2);
    expect(await redis.llen(storeKeys.history(prefix, 'web-1', 'eu-west'))).toBe(5);
  });

  it('keeps the latest outcome per region, and a late arrival does not replace it', async () => {
    await ingestAttempt(redis, prefix, attempt(NOW_MS - 2_000), NOW_MS);
    await ingestAttempt(redis, prefix, attempt(NOW_MS - 1_000, { region: 'us-east', answered: false }), NOW_MS);
    await ingestAttempt(redis, prefix, attempt(NOW_MS - 60_000, { answered: false }), NOW_MS);
    await ingestAttempt(redis, prefix, attempt(NOW_MS - 500, { region: 'us-east', kind: 'connect' }), NOW_MS);
    expect(await readLatest(redis, prefix, 'web-1')).toEqual({
      'eu-west': { outcome: 'synack', atMs: NOW_MS - 2_000, kind: 'syn' },
      'us-east': { outcome: 'established', atMs: NOW_MS - 500, kind: 'connect' },
    });
    expect(await listSeries(redis, prefix)).toEqual([
      { target: 'web-1', region: 'eu-west', kind: 'syn' },
      { target: 'web-1', region: 'us-east', kind: 'connect' },
      { target: 'web-1', region: 'us-east', kind: 'syn' },
    ]);
  });

  it('saturates counters at 65535 instead of wrapping', async () => {
    // A ring written by the same encoder the benchmark uses, one short of the ceiling.
    const minute = epochMinute(NOW_MS);
    const ring = decodeRing(null, MINUTE_RING);
    ring.headUnit = minute;
    ring.buckets[ringIndex(minute, MINUTE_RING)] = {
      attempts: 65_534,
      successes: 65_534,
      rttBins: [0, 65_534, 0, 0, 0, 0],
    };
    await redis.set(storeKeys.minuteRing(prefix, WEB), encodeRing(ring));
    await ingestBatch(redis, prefix, [attempt(NOW_MS), attempt(NOW_MS), attempt(NOW_MS)], NOW_MS);
    const bucket = (await minuteRingOf(WEB)).buckets[ringIndex(minute, MINUTE_RING)];
    expect(bucket).toEqual({ attempts: 65_535, successes: 65_535, rttBins: [0, 65_535, 0, 0, 0, 0] });
  });

  it('writes rings that the encoder reproduces byte for byte, sized exactly', async () => {
    await ingestAttempt(redis, prefix, attempt(NOW_MS - 3 * HOUR_MS), NOW_MS);
    await ingestAttempt(redis, prefix, attempt(NOW_MS, { answered: false }), NOW_MS);
    for (const [key, spec] of [
      [storeKeys.minuteRing(prefix, WEB), MINUTE_RING],
      [storeKeys.hourRing(prefix, WEB), HOUR_RING],
    ] as const) {
      const bytes = await redis.getBuffer(key);
      expect(bytes?.length).toBe(ringByteLength(spec));
      expect(encodeRing(decodeRing(bytes, spec)).equals(bytes ?? Buffer.alloc(0))).toBe(true);
      // No over-allocation from growing the string: within one allocator size class.
      const usage = await redis.memory('USAGE', key);
      expect(usage).toBeLessThan(ringByteLength(spec) * 1.1 + 100);
    }
  });

  it('ingests in pipelines and MULTIs, with one reply per attempt', async () => {
    const inputs = Array.from({ length: 200 }, (_, n) =>
      attempt(NOW_MS - n * 10_000, { target: `t-${n % 10}`, answered: n % 4 !== 0 }),
    );
    const repeated = inputs.slice(0, 20);
    const results = await ingestBatch(redis, prefix, [...inputs, ...repeated], NOW_MS);
    expect(results.filter((r) => r === 'new')).toHaveLength(200);
    expect(results.slice(200)).toEqual(new Array(20).fill('duplicate'));

    defineIngestCommand(redis);
    const multi = redis.multi();
    queueIngestAttempt(multi, prefix, attempt(NOW_MS, { target: 't-0' }), NOW_MS);
    queueIngestAttempt(multi, prefix, inputs[0] ?? attempt(NOW_MS), NOW_MS);
    const replies = (await multi.exec()) ?? [];
    expect(replies.map(([, reply]) => parseIngestReply(reply))).toEqual(['new', 'duplicate']);

    const total = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        readWindow(redis, prefix, { ...WEB, target: `t-${n}` }, NOW_MS - 3 * HOUR_MS, NOW_MS + 1, NOW_MS),
      ),
    );
    expect(total.reduce((sum, window) => sum + window.attempts, 0)).toBe(201);
    expect(total.reduce((sum, window) => sum + window.successes, 0)).toBe(151);
    expect(await listSeries(redis, prefix)).toHaveLength(10);
  });

  describe('on Redis Cluster', () => {
    let node: TestRedis;
    let admin: Redis;

    beforeAll(async () => {
      // A lone node does not know its own address; without announcing it, CLUSTER SLOTS gives "".
      node = await startRedis(['--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1']);
      admin = new Redis(node.url, { maxRetriesPerRequest: 1 });
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      const deadline = performance.now() + 10_000;
      while (!String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
        if (performance.now() > deadline) throw new Error('single-node cluster did not reach cluster_state:ok');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });

    afterAll(async () => {
      await admin.quit();
      await node.cleanup();
    });

    it('keeps every key of a series in the slot of the {tag} prefix', async () => {
      const tagged = `{${prefix}}`;
      await ingestAttempt(redis, tagged, attempt(NOW_MS), NOW_MS);
      const keys = await redis.keys(`${escapeGlob(tagged)}:*`);
      expect(keys).toHaveLength(6);
      const slots = await Promise.all(keys.map((key) => admin.call('CLUSTER', 'KEYSLOT', key)));
      const tagSlot = await admin.call('CLUSTER', 'KEYSLOT', prefix);
      expect(new Set(slots)).toEqual(new Set([tagSlot]));
      await deleteKeys(redis, tagged);
    });

    it('runs through the ioredis Cluster client with a {tag} prefix, and is refused without one', async () => {
      const cluster = new Cluster([{ host: '127.0.0.1', port: node.port }], {
        redisOptions: { maxRetriesPerRequest: 1 },
      });
      try {
        const tagged = `{${prefix}}`;
        const results = await ingestBatch(cluster, tagged, [attempt(NOW_MS), attempt(NOW_MS - 1_000)], NOW_MS);
        expect(results).toEqual(['new', 'new']);
        expect((await readWindow(cluster, tagged, WEB, NOW_MS - MINUTE_MS, NOW_MS + 1, NOW_MS)).attempts).toBe(2);
        expect(await listSeries(cluster, tagged)).toEqual([WEB]);
        // Without a tag the six keys hash to different slots: Redis answers CROSSSLOT.
        await expect(ingestAttempt(admin, prefix, attempt(NOW_MS), NOW_MS)).rejects.toThrow(/^CROSSSLOT/);
        await deleteKeys(admin, tagged);
      } finally {
        await cluster.quit();
      }
    });
  });
});
