import type { SloReport } from '@synack/shared/wire/slo-report';
import { describe, expect, it } from 'vitest';
import { formatSloReport } from './slo-text.ts';

const HOUR = 3_600_000;
const report: SloReport = {
  target: 'web',
  group: null,
  objective: 0.999,
  windowMs: 30 * 24 * HOUR,
  thresholdMs: 500,
  overall: { good: 9990, total: 10_000, excluded: 4, ratio: 0.999, coverage: 1 },
  byRegion: {
    'us-east': { good: 4995, total: 5000, excluded: 4, ratio: 0.999, coverage: 1 },
    'eu-west': { good: 4995, total: 5000, excluded: 0, ratio: 0.999, coverage: 1 },
  },
  budgetRemaining: 0,
  burnRates: [
    { windowMs: 5 * 60_000, rate: 20 },
    { windowMs: HOUR, rate: 15.5 },
  ],
  alerts: [
    { severity: 'page', longMs: HOUR, shortMs: 5 * 60_000, factor: 14.4, longBurn: 15.5, shortBurn: 20, firing: true },
  ],
  burnDown: [],
  computedAtMs: 0,
};

describe('formatSloReport', () => {
  it('prints a row per SLO and per region, with exclusions and firing alerts', () => {
    expect(formatSloReport({ slos: [report], computedAtMs: 0 }, 'table')).toBe(
      [
        'target  region   objective  window  within  SLI    good/counted              budget left  burn                 state',
        'web     all      99.9%      30d     500 ms  99.9%  9990/10000 (+4 excluded)  0%           5m 20.00× 1h 15.50×  PAGE 1h/5m',
        '        eu-west                             99.9%  4995/5000',
        '        us-east                             99.9%  4995/5000 (+4 excluded)',
      ].join('\n'),
    );
  });

  it('writes Markdown, and says how to add an SLO when there is none', () => {
    const md = formatSloReport({ slos: [report], computedAtMs: 0 }, 'markdown').split('\n');
    expect(md[0]).toBe(
      '| target | region | objective | window | within | SLI | good/counted | budget left | burn | state |',
    );
    expect(md[1]).toBe('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    expect(md).toHaveLength(5);
    expect(formatSloReport({ slos: [], computedAtMs: 0 }, 'table')).toMatch(/^No SLO configured/);
  });
});
