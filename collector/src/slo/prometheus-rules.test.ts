import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { prometheusRulesYaml } from './prometheus-rules.ts';
import { DEFAULT_BURN_ALERTS } from './slo-math.ts';
import type { SloSpec } from './slo-spec.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const web: SloSpec = {
  target: 'web',
  group: null,
  objective: 0.999,
  windowMs: 30 * DAY,
  thresholdMs: 250,
  alerts: DEFAULT_BURN_ALERTS,
};

type Rule = {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
type RuleFile = { groups: { name: string; rules: Rule[] }[] };

const rulesOf = (specs: readonly SloSpec[]) => parse(prometheusRulesYaml(specs)) as RuleFile;
const errorRatio = (target: string, window: string) =>
  `1 - (sum by (target) (rate(synack_slo_good_total{target="${target}"}[${window}])) / ` +
  `sum by (target) (rate(synack_slo_attempts_total{target="${target}"}[${window}])))`;
const burn = (target: string, long: string, short: string, threshold: string) =>
  `synack:slo_error_ratio:rate${long}{target="${target}"} > ${threshold} and ` +
  `synack:slo_error_ratio:rate${short}{target="${target}"} > ${threshold}`;

describe('prometheusRulesYaml', () => {
  it('writes the workbook rules for 99.9% with the default alerts, by hand', () => {
    const file = rulesOf([web]);
    expect(file.groups).toHaveLength(1);
    const [group] = file.groups;
    expect(group?.name).toBe('synack-slo-web');
    const rules = group?.rules ?? [];
    // Recording rules first (alerts read this evaluation's values), shortest window first.
    expect(rules.filter((r) => r.record !== undefined)).toEqual(
      ['5m', '30m', '1h', '6h', '3d'].map((w) => ({
        record: `synack:slo_error_ratio:rate${w}`,
        expr: errorRatio('web', w),
        labels: { target: 'web' },
      })),
    );
    expect(rules.findIndex((r) => r.alert !== undefined)).toBe(5);
    const alerts = rules.filter((r) => r.alert !== undefined);
    // 14.4 × 0.001, 6 × 0.001, 1 × 0.001: printed exactly.
    expect(alerts.map((r) => [r.alert, r.expr, r.labels])).toEqual([
      ['SynackHandshakeSloBurnRatePage1h5m', burn('web', '1h', '5m', '0.0144'), { severity: 'page', target: 'web' }],
      ['SynackHandshakeSloBurnRatePage6h30m', burn('web', '6h', '30m', '0.006'), { severity: 'page', target: 'web' }],
      ['SynackHandshakeSloBurnRateTicket3d6h', burn('web', '3d', '6h', '0.001'), { severity: 'ticket', target: 'web' }],
    ]);
    expect(alerts[0]?.annotations).toEqual({
      summary: 'TCP handshakes to web: SLO error budget burn rate above 14.4 over 1h and 5m',
      description:
        'Over both the last 1h and 5m, more than 1.44% of TCP handshakes to web failed or took longer than 250 ms ' +
        '(last 1h: {{ $value | humanizePercentage }}). That spends the error budget of its 99.9% objective over 30d ' +
        'at over 14.4x the rate that would just last the window.',
    });
    for (const rule of alerts) expect(rule).not.toHaveProperty('for');
  });

  it('writes one group per target, each selecting its own target', () => {
    const file = rulesOf([web, { ...web, target: 'api', objective: 0.99 }]);
    expect(file.groups.map((g) => g.name)).toEqual(['synack-slo-web', 'synack-slo-api']);
    const api = file.groups[1]?.rules ?? [];
    expect(api[0]).toEqual({
      record: 'synack:slo_error_ratio:rate5m',
      expr: errorRatio('api', '5m'),
      labels: { target: 'api' },
    });
    expect(api.filter((r) => r.alert !== undefined).map((r) => r.expr)).toEqual([
      burn('api', '1h', '5m', '0.144'),
      burn('api', '6h', '30m', '0.06'),
      burn('api', '3d', '6h', '0.01'),
    ]);
    for (const rule of api) expect(rule.expr).not.toContain('"web"');
  });

  it('records each distinct window of custom alerts once, and deduplicates alerts', () => {
    const spec: SloSpec = {
      ...web,
      objective: 0.995,
      windowMs: 28 * DAY,
      alerts: [
        { severity: 'page', longMs: 2 * HOUR, shortMs: 10 * MINUTE, factor: 12 },
        { severity: 'ticket', longMs: 36 * HOUR, shortMs: 2 * HOUR, factor: 2 },
        { severity: 'page', longMs: 2 * HOUR, shortMs: 10 * MINUTE, factor: 13 },
      ],
    };
    const rules = rulesOf([spec]).groups[0]?.rules ?? [];
    expect(rules.filter((r) => r.record !== undefined).map((r) => r.record)).toEqual([
      'synack:slo_error_ratio:rate10m',
      'synack:slo_error_ratio:rate2h',
      'synack:slo_error_ratio:rate36h',
    ]);
    const alerts = rules.filter((r) => r.alert !== undefined);
    expect(alerts.map((r) => [r.alert, r.expr])).toEqual([
      ['SynackHandshakeSloBurnRatePage2h10m', burn('web', '2h', '10m', '0.06')],
      ['SynackHandshakeSloBurnRateTicket36h2h', burn('web', '36h', '2h', '0.01')],
    ]);
    expect(alerts[1]?.annotations?.description).toContain('99.5% objective over 28d at over 2x');
  });

  it('prints thresholds exactly where binary floating point would not', () => {
    // 14.4 * (1 - 0.99999999) is 1.4400000072356534e-7 in doubles, 0.5 * (1 - 0.9) is 0.04999999999999999.
    const page = { severity: 'page' as const, longMs: HOUR, shortMs: 5 * MINUTE, factor: 14.4 };
    const rules = rulesOf([{ ...web, objective: 0.99999999, alerts: [page] }]);
    const [alert] = (rules.groups[0]?.rules ?? []).filter((r) => r.alert !== undefined);
    expect(alert?.expr).toBe(burn('web', '1h', '5m', '0.000000144'));
    expect(alert?.annotations?.description).toContain('more than 0.0000144% of TCP handshakes');
    expect(alert?.annotations?.description).toContain('its 99.999999% objective');
    const coarse = rulesOf([
      { ...web, objective: 0.9, alerts: [{ severity: 'page', longMs: HOUR, shortMs: 5 * MINUTE, factor: 0.5 }] },
    ]);
    expect(coarse.groups[0]?.rules.at(-1)?.expr).toBe(burn('web', '1h', '5m', '0.05'));
  });

  it('labels the alerts, not the recordings, with a target’s labels; its group plays no part', () => {
    const rules = rulesOf([{ ...web, group: 'edge', labels: { team: 'web', tier: '1' } }]).groups[0]?.rules ?? [];
    for (const rule of rules) {
      if (rule.record !== undefined) expect(rule.labels).toEqual({ target: 'web' });
      else expect(rule.labels).toEqual({ team: 'web', tier: '1', severity: rule.labels?.severity, target: 'web' });
      expect(rule.expr).not.toContain('edge');
    }
    expect(rules.filter((r) => r.alert !== undefined).map((r) => r.labels?.severity)).toEqual([
      'page',
      'page',
      'ticket',
    ]);
  });

  it('writes an empty rule file for no SLOs, and rejects invalid specs', () => {
    expect(rulesOf([])).toEqual({ groups: [] });
    expect(() => prometheusRulesYaml([{ ...web, objective: 1.5 }])).toThrow(RangeError);
    expect(() => prometheusRulesYaml([{ ...web, labels: { target: 'x' } }])).toThrow(/reserved/);
    expect(() =>
      prometheusRulesYaml([{ ...web, alerts: [{ severity: 'page', longMs: HOUR, shortMs: 30_000, factor: 14.4 }] }]),
    ).toThrow('specs[0].alerts[0].shortMs: expected a positive whole number of minutes, got 30000 ms');
  });
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.error === undefined && promtool.status === 0;

// scripts/test installs promtool (Debian's prometheus): under CI the check runs, and fails without it.
describe.skipIf(!hasPromtool && process.env.CI !== 'true')(
  `promtool check rules (${hasPromtool ? 'promtool found' : 'skipped outside CI: promtool is not on PATH'})`,
  () => {
    it('accepts the rule file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'synack-rules-'));
      try {
        const file = join(dir, 'slo.rules.yml');
        const custom = { severity: 'ticket' as const, longMs: 36 * HOUR, shortMs: 2 * HOUR, factor: 2 };
        writeFileSync(
          file,
          prometheusRulesYaml([web, { ...web, target: 'api', labels: { team: 'x' }, alerts: [custom] }]),
        );
        const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
        expect(check.status, `${check.stdout}\n${check.stderr}`).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('fires in Prometheus when synack would: both windows over the factor, and stops once the short one is clean', () => {
      const dir = mkdtempSync(join(tmpdir(), 'synack-rules-'));
      try {
        // promtool compares annotations too; their text is not what is tested here.
        const rules = parse(prometheusRulesYaml([web])) as { groups: { rules: Record<string, unknown>[] }[] };
        for (const rule of rules.groups.flatMap((g) => g.rules)) delete rule.annotations;
        writeFileSync(join(dir, 'slo.rules.yml'), stringify(rules));
        const alerts = (at: string, fired: string[]) =>
          ['Page1h5m', 'Page6h30m', 'Ticket3d6h'].map((name) => ({
            eval_time: at,
            alertname: `SynackHandshakeSloBurnRate${name}`,
            exp_alerts: fired.includes(name)
              ? [{ exp_labels: { severity: name.startsWith('Page') ? 'page' : 'ticket', target: 'web' } }]
              : [],
          }));
        const series = (good: string) => [
          { series: 'synack_slo_attempts_total{target="web",region="a"}', values: '0+100x90' },
          { series: 'synack_slo_good_total{target="web",region="a"}', values: good },
        ];
        const tests = {
          rule_files: ['slo.rules.yml'],
          evaluation_interval: '1m',
          tests: [
            // 2% of attempts bad: 20 times the 0.1% budget, over every window.
            {
              interval: '1m',
              input_series: series('0+98x90'),
              alert_rule_test: alerts('70m', ['Page1h5m', 'Page6h30m', 'Ticket3d6h']),
            },
            // 0.05% bad: half the budget's rate, nothing fires.
            { interval: '1m', input_series: series('0+99.95x90'), alert_rule_test: alerts('70m', []) },
            // 10% bad for an hour, then clean for 15 minutes: the 5m window resets the fast page.
            {
              interval: '1m',
              input_series: series('0+90x60 5400+100x30'),
              alert_rule_test: alerts('75m', ['Page6h30m', 'Ticket3d6h']),
            },
          ],
        };
        writeFileSync(join(dir, 'slo.test.yml'), stringify(tests));
        const run = spawnSync('promtool', ['test', 'rules', join(dir, 'slo.test.yml')], { encoding: 'utf8' });
        expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
