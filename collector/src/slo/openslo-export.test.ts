import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { opensloYaml } from './openslo-export.ts';
import { DEFAULT_BURN_ALERTS } from './slo-math.ts';
import { checkSloSpecs, distinctBurnAlerts, formatDuration, type SloSpec } from './slo-spec.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// RFC 1123 DNS label, as OpenSLO v1 requires of metadata.name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const web: SloSpec = {
  target: 'web',
  group: null,
  objective: 0.999,
  windowMs: 30 * DAY,
  thresholdMs: 250,
  alerts: DEFAULT_BURN_ALERTS,
};

type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };

function objects(yaml: string): Obj[] {
  const docs = parseAllDocuments(yaml);
  if (!Array.isArray(docs)) throw new Error('expected documents');
  for (const doc of docs) expect(doc.errors).toEqual([]);
  return docs.map((doc) => doc.toJS() as Obj);
}

const ofKind = (all: readonly Obj[], kind: string) => all.filter((o) => o.kind === kind);
const named = (all: readonly Obj[], kind: string, name: string) => {
  const found = all.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} named ${name}`);
  return found;
};

describe('opensloYaml', () => {
  it('exports one SLO with default alerts, by hand', () => {
    const all = objects(opensloYaml([web]));
    expect(all.every((o) => o.apiVersion === 'openslo/v1')).toBe(true);
    expect(all.map((o) => o.kind)).toEqual([
      'Service',
      'SLO',
      'AlertPolicy',
      'AlertCondition',
      'AlertPolicy',
      'AlertCondition',
      'AlertPolicy',
      'AlertCondition',
      'AlertNotificationTarget',
      'AlertNotificationTarget',
    ]);
    expect(named(all, 'Service', 'web').spec).toEqual({ description: 'Target web, probed by synack.' });

    const slo = named(all, 'SLO', 'synack-web-handshake');
    expect(slo.metadata).toEqual({
      name: 'synack-web-handshake',
      displayName: 'TCP handshakes to web',
      annotations: { 'synack/target': 'web' },
    });
    expect(slo.spec).toEqual({
      description:
        'TCP handshakes to web, from every region, that complete within 250 ms. ' +
        'Attempts from a runner failing its own self-check are excluded.',
      service: 'web',
      indicator: {
        metadata: { name: 'synack-web-handshake-sli', displayName: 'Handshakes within threshold' },
        spec: {
          ratioMetric: {
            counter: true,
            good: { metricSource: { type: 'Prometheus', spec: { query: 'sum(synack_slo_good_total{target="web"})' } } },
            total: {
              metricSource: { type: 'Prometheus', spec: { query: 'sum(synack_slo_attempts_total{target="web"})' } },
            },
          },
        },
      },
      timeWindow: [{ duration: '30d', isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ displayName: 'Handshake within 250 ms', target: 0.999 }],
      alertPolicies: [
        { alertPolicyRef: 'synack-web-handshake-page-1h-5m' },
        { alertPolicyRef: 'synack-web-handshake-page-6h-30m' },
        { alertPolicyRef: 'synack-web-handshake-ticket-3d-6h' },
      ],
    });

    expect(named(all, 'AlertPolicy', 'synack-web-handshake-page-1h-5m').spec).toEqual({
      description: 'Page when the handshake SLO of web burns its error budget faster than 14.4x over both 1h and 5m.',
      alertWhenNoData: false,
      alertWhenResolved: false,
      alertWhenBreaching: true,
      conditions: [{ conditionRef: 'synack-web-handshake-page-1h-5m-burn' }],
      notificationTargets: [{ targetRef: 'synack-page' }],
    });
    const conditions = ofKind(all, 'AlertCondition');
    expect(conditions.map((c) => [c.metadata.name, c.spec.severity, c.spec.condition])).toEqual([
      [
        'synack-web-handshake-page-1h-5m-burn',
        'page',
        { kind: 'burnrate', op: 'gt', threshold: 14.4, lookbackWindow: '1h' },
      ],
      [
        'synack-web-handshake-page-6h-30m-burn',
        'page',
        { kind: 'burnrate', op: 'gt', threshold: 6, lookbackWindow: '6h' },
      ],
      [
        'synack-web-handshake-ticket-3d-6h-burn',
        'ticket',
        { kind: 'burnrate', op: 'gt', threshold: 1, lookbackWindow: '3d' },
      ],
    ]);
    expect(
      conditions.map((c) => (c.metadata.annotations as Record<string, string>)['synack/short-lookback-window']),
    ).toEqual(['5m', '30m', '6h']);
    expect(ofKind(all, 'AlertNotificationTarget').map((t) => [t.metadata.name, t.spec.target])).toEqual([
      ['synack-page', 'page'],
      ['synack-ticket', 'ticket'],
    ]);
  });

  it('exports two targets, one of them in a group, with valid names and references that resolve', () => {
    const api: SloSpec = {
      ...web,
      target: 'api',
      group: 'edge',
      objective: 0.99,
      thresholdMs: 100,
      labels: { team: 'core' },
    };
    const all = objects(opensloYaml([web, api]));
    expect(ofKind(all, 'SLO').map((s) => [s.metadata.name, s.spec.service])).toEqual([
      ['synack-web-handshake', 'web'],
      ['synack-api-handshake', 'edge'],
    ]);
    expect(ofKind(all, 'Service').map((s) => [s.metadata.name, s.spec.description])).toEqual([
      ['web', 'Target web, probed by synack.'],
      ['edge', 'The targets of group edge, probed by synack.'],
    ]);
    const apiSlo = named(all, 'SLO', 'synack-api-handshake');
    expect(apiSlo.metadata.labels).toEqual({ team: 'core' });
    expect(apiSlo.spec.objectives).toEqual([{ displayName: 'Handshake within 100 ms', target: 0.99 }]);
    expect(JSON.stringify(apiSlo.spec.indicator)).toContain('sum(synack_slo_good_total{target=\\"api\\"})');
    // Severities are shared: one notification target each, whatever the number of SLOs.
    expect(ofKind(all, 'AlertNotificationTarget')).toHaveLength(2);
    expect(ofKind(all, 'AlertPolicy')).toHaveLength(6);

    for (const o of all) expect(o.metadata.name).toMatch(DNS_LABEL);
    for (const slo of ofKind(all, 'SLO')) {
      named(all, 'Service', String(slo.spec.service));
      for (const ref of slo.spec.alertPolicies as { alertPolicyRef: string }[]) {
        const policy = named(all, 'AlertPolicy', ref.alertPolicyRef);
        const [condition] = policy.spec.conditions as { conditionRef: string }[];
        named(all, 'AlertCondition', String(condition?.conditionRef));
        const [target] = policy.spec.notificationTargets as { targetRef: string }[];
        named(all, 'AlertNotificationTarget', String(target?.targetRef));
      }
    }
  });

  it('puts several targets of one group under one service', () => {
    const all = objects(
      opensloYaml([
        { ...web, target: 'a', group: 'edge' },
        { ...web, target: 'b', group: 'edge' },
      ]),
    );
    expect(ofKind(all, 'Service').map((s) => s.metadata.name)).toEqual(['edge']);
    expect(ofKind(all, 'SLO').map((s) => s.spec.service)).toEqual(['edge', 'edge']);
  });

  it('exports custom alert windows, deduplicating alerts of one severity and windows', () => {
    const spec: SloSpec = {
      ...web,
      windowMs: 28 * DAY,
      alerts: [
        { severity: 'page', longMs: 2 * HOUR, shortMs: 10 * MINUTE, factor: 12 },
        { severity: 'ticket', longMs: 36 * HOUR, shortMs: 90 * MINUTE, factor: 2 },
        { severity: 'page', longMs: 2 * HOUR, shortMs: 10 * MINUTE, factor: 10 },
      ],
    };
    const all = objects(opensloYaml([spec]));
    const slo = named(all, 'SLO', 'synack-web-handshake');
    expect(slo.spec.timeWindow).toEqual([{ duration: '28d', isRolling: true }]);
    expect(slo.spec.alertPolicies).toEqual([
      { alertPolicyRef: 'synack-web-handshake-page-2h-10m' },
      { alertPolicyRef: 'synack-web-handshake-ticket-36h-90m' },
    ]);
    expect(ofKind(all, 'AlertCondition').map((c) => c.spec.condition)).toEqual([
      { kind: 'burnrate', op: 'gt', threshold: 10, lookbackWindow: '2h' },
      { kind: 'burnrate', op: 'gt', threshold: 2, lookbackWindow: '36h' },
    ]);
  });

  it('exports an SLO without alerts with no policies, and nothing for no SLOs', () => {
    const all = objects(opensloYaml([{ ...web, alerts: [] }]));
    expect(all.map((o) => o.kind)).toEqual(['Service', 'SLO']);
    expect(all[1]?.spec).not.toHaveProperty('alertPolicies');
    expect(opensloYaml([])).toBe('');
  });

  it('makes DNS labels of names that are not, keeping distinct targets distinct', () => {
    const long = 'x'.repeat(63);
    const all = objects(
      opensloYaml([
        { ...web, target: 'Web_Front', group: 'Front End' },
        { ...web, target: 'web-front' },
        { ...web, target: long },
      ]),
    );
    const names = ofKind(all, 'SLO').map((s) => String(s.metadata.name));
    expect(names[0]).toMatch(/^synack-web-front-[0-9a-f]{8}-handshake$/);
    expect(names[1]).toBe('synack-web-front-handshake');
    expect(names[2]).toMatch(/^synack-x+-[0-9a-f]{8}-handshake$/);
    for (const o of all) {
      expect(o.metadata.name).toMatch(DNS_LABEL);
      expect([...String(o.metadata.displayName ?? '')].length).toBeLessThanOrEqual(63);
    }
    expect(named(all, 'SLO', String(names[0])).metadata.annotations).toEqual({ 'synack/target': 'Web_Front' });
    expect(ofKind(all, 'Service')[0]?.metadata.displayName).toBe('Front End');
  });

  it('rejects labels OpenSLO cannot carry, and invalid specs', () => {
    expect(() => opensloYaml([{ ...web, labels: { _team: 'x' } }])).toThrow(RangeError);
    expect(() => opensloYaml([{ ...web, windowMs: 30 * DAY + 1000 }])).toThrow(/specs\[0\]\.windowMs/);
  });
});

describe('formatDuration', () => {
  it('writes the largest of d, h and m that divides the duration', () => {
    expect(formatDuration(MINUTE)).toBe('1m');
    expect(formatDuration(5 * MINUTE)).toBe('5m');
    expect(formatDuration(90 * MINUTE)).toBe('90m');
    expect(formatDuration(HOUR)).toBe('1h');
    expect(formatDuration(25 * HOUR)).toBe('25h');
    expect(formatDuration(24 * HOUR)).toBe('1d');
    expect(formatDuration(72 * HOUR)).toBe('3d');
    expect(formatDuration(30 * DAY)).toBe('30d');
    expect(formatDuration(365 * DAY)).toBe('365d');
  });

  it('rejects what is not a positive whole number of minutes, naming the field', () => {
    for (const ms of [0, -MINUTE, 30_000, 90_000, MINUTE + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => formatDuration(ms)).toThrow(RangeError);
    }
    expect(() => formatDuration(90_000, 'alerts[0].shortMs')).toThrow(
      'alerts[0].shortMs: expected a positive whole number of minutes, got 90000 ms',
    );
  });
});

describe('checkSloSpecs', () => {
  it('accepts valid specs', () => {
    expect(() => checkSloSpecs([web, { ...web, target: 'api', group: 'edge', labels: { team: 'x' } }])).not.toThrow();
  });

  it('reports every problem at once', () => {
    const bad: SloSpec[] = [
      web,
      {
        ...web,
        objective: 1,
        windowMs: 30_000,
        alerts: [
          { severity: 'page', longMs: 5 * MINUTE, shortMs: HOUR, factor: 0 },
          { severity: 'ticket', longMs: HOUR, shortMs: 90_000, factor: 1 },
        ],
        labels: { severity: 'x', 'bad-key': 'y' },
      },
    ];
    let message = '';
    try {
      checkSloSpecs(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError);
      message = (error as RangeError).message;
    }
    expect(message.split('\n')).toEqual([
      'invalid SLO specs:',
      'specs[1].target: "web" appears twice',
      'specs[1].objective: expected a fraction in (0, 1), got 1',
      'specs[1].windowMs: expected a positive whole number of minutes, got 30000 ms',
      `specs[1].alerts[0]: shortMs (${HOUR}) is longer than longMs (${5 * MINUTE})`,
      'specs[1].alerts[0].factor: expected > 0, got 0',
      'specs[1].alerts[1].shortMs: expected a positive whole number of minutes, got 90000 ms',
      'specs[1].labels: "severity" is not a Prometheus label name, or is reserved (target, severity, __*)',
      'specs[1].labels: "bad-key" is not a Prometheus label name, or is reserved (target, severity, __*)',
    ]);
  });
});

describe('distinctBurnAlerts', () => {
  it('keeps one alert per severity and windows, the lowest factor, in order', () => {
    expect(
      distinctBurnAlerts([
        { severity: 'page', longMs: HOUR, shortMs: 5 * MINUTE, factor: 14.4 },
        { severity: 'ticket', longMs: HOUR, shortMs: 5 * MINUTE, factor: 14.4 },
        { severity: 'page', longMs: HOUR, shortMs: 5 * MINUTE, factor: 10 },
        { severity: 'page', longMs: HOUR, shortMs: 5 * MINUTE, factor: 20 },
      ]),
    ).toEqual([
      { severity: 'page', longMs: HOUR, shortMs: 5 * MINUTE, factor: 10 },
      { severity: 'ticket', longMs: HOUR, shortMs: 5 * MINUTE, factor: 14.4 },
    ]);
  });
});
