import { DEFAULT_RATES } from '@synack/shared/config/resolve-config';
import type { SynackConfig, TargetConfig } from '@synack/shared/config/synack-config';
import { describe, expect, it } from 'vitest';
import { desiredSchedule, LEAD_MS, SLOT_MS } from './desired-schedule.ts';
import { targetOffsetMs } from './target-offset.ts';

const target = (name: string, over: Partial<TargetConfig> = {}): TargetConfig => ({
  name,
  address: '10.0.0.1',
  port: 443,
  probes: ['syn', 'connect'],
  families: ['v4', 'v6'],
  intervalMs: 10_000,
  failingIntervalMs: 2000,
  timeoutMs: 3000,
  regions: ['eu-west', 'us-east'],
  group: null,
  labels: {},
  slo: null,
  ...over,
});

const config = (targets: TargetConfig[]): SynackConfig => ({
  file: 'synack.yaml',
  redisUrl: 'redis://127.0.0.1:6379',
  prefix: 'synack',
  regions: ['eu-west', 'us-east'],
  allow: [{ cidr: '10.0.0.0/8', ports: [[1, 65535]] }],
  targets,
  runner: { concurrency: 256, maxProbesPerSecondPerTarget: 5, control: {} },
  collector: { historyPerSeries: 50, listen: '127.0.0.1:8470' },
  signing: { publicKeys: [], privateKeyFile: null },
  agents: [],
  alerts: [],
  api: { tokens: [] },
  slack: { signingSecret: null, signingSecretFile: null, responseUrlHosts: [] },
  onDemand: { allow: [], rateLimits: DEFAULT_RATES },
});

describe('targetOffsetMs', () => {
  it('is deterministic, inside the interval, and spreads names evenly', () => {
    expect(targetOffsetMs('web', 10_000)).toBe(targetOffsetMs('web', 10_000));
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const offset = targetOffsetMs(`svc-${i}`, 10_000);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(10_000);
      buckets[Math.floor(offset / 1000)]++;
    }
    // 1,000 expected per second of the interval; a herd would put them all in one.
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});

describe('desiredSchedule', () => {
  it('groups targets by region, interval and 100 ms slot, each with its offset inside the slot', () => {
    const targets = Array.from({ length: 1000 }, (_, i) => target(`t-${i}`));
    const slots = desiredSchedule(config(targets), new Set());
    const eu = slots.filter((s) => s.region === 'eu-west');
    expect(eu.length).toBeLessThanOrEqual(10_000 / SLOT_MS);
    // One entry per target and probe kind.
    expect(eu.reduce((n, s) => n + s.job.targets.length, 0)).toBe(2000);
    for (const slot of slots) {
      expect(slot.schedulerId).toMatch(/^i10000-s\d+$/);
      expect(slot.schedulerId).not.toContain(':');
      // Released LEAD_MS early; each target due at its own offset in the interval, then taking
      // turns: eu-west's SYN, us-east's SYN, eu-west's connect, us-east's connect, 2.5 s apart.
      for (const t of slot.job.targets) {
        const turn = ((t.probes[0] === 'syn' ? 0 : 2) + (slot.region === 'eu-west' ? 0 : 1)) * 2500;
        expect(t.probes).toHaveLength(1);
        expect((slot.offsetMs + t.atMs) % slot.everyMs).toBe((targetOffsetMs(t.name, 10_000) + turn) % 10_000);
        expect(t.atMs).toBeGreaterThanOrEqual(LEAD_MS);
        expect(t.atMs).toBeLessThan(LEAD_MS + SLOT_MS);
      }
    }
    expect(desiredSchedule(config(targets), new Set())).toEqual(slots);
  });

  it('probes only in the target regions and never uses offset 0', () => {
    const slots = desiredSchedule(config([target('a', { regions: ['us-east'] }), target('b')]), new Set());
    expect([...new Set(slots.filter((s) => s.job.targets.some((t) => t.name === 'a')).map((s) => s.region))]).toEqual([
      'us-east',
    ]);
    for (const slot of slots) expect(slot.offsetMs).toBeGreaterThan(0);
  });

  it('moves a failing target to its failing interval, in every region, and back', () => {
    const cfg = config([target('a'), target('b')]);
    const failing = desiredSchedule(cfg, new Set(['a']));
    const a = failing.filter((s) => s.job.targets.some((t) => t.name === 'a'));
    expect(a.map((s) => [s.region, s.everyMs])).toEqual([
      ['eu-west', 2000],
      ['eu-west', 2000],
      ['us-east', 2000],
      ['us-east', 2000],
    ]);
    const b = failing.filter((s) => s.job.targets.some((t) => t.name === 'b'));
    expect(b.every((s) => s.everyMs === 10_000)).toBe(true);
    const recovered = desiredSchedule(cfg, new Set());
    expect(recovered.every((s) => s.everyMs === 10_000)).toBe(true);
  });
});
