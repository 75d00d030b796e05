import { Document } from 'yaml';
import type { BurnAlert } from './slo-math.ts';
import { checkSloSpecs, distinctBurnAlerts, formatDuration, type SloSpec } from './slo-spec.ts';

const API_VERSION = 'openslo/v1';
// OpenSLO v1 "General Schema": names are RFC 1123 DNS labels (at most 63 characters of a-z, 0-9
// and '-'); the go-sdk also caps displayName at 63 characters.
const NAME_MAX = 63;
// OpenSLO v1 label keys: alphanumeric at both ends, `-._` and alphanumerics between, at most 63.
const LABEL_KEY = /^[A-Za-z0-9]([-._A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

type OpensloObject = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: unknown };

/**
 * The SLOs as a multi-document OpenSLO v1 YAML: one `Service` per group (or ungrouped target); per
 * target a `SLO` with an inline ratio SLI over `synack_slo_good_total` / `synack_slo_attempts_total`,
 * and per burn-rate alert an `AlertPolicy` and its `AlertCondition`; one `AlertNotificationTarget`
 * per severity used (`synack-page`, `synack-ticket`), to bind to a receiver. Pure; throws a
 * RangeError for invalid specs (see `checkSloSpecs`) or labels OpenSLO cannot carry.
 */
export function opensloYaml(specs: readonly SloSpec[]): string {
  checkSloSpecs(specs);
  const services = new Map<string, OpensloObject>();
  const slos: OpensloObject[] = [];
  const severities = new Set<BurnAlert['severity']>();
  for (const spec of specs) {
    const serviceKey = spec.group ?? spec.target;
    const service = dnsName('', serviceKey, '');
    if (!services.has(service)) services.set(service, serviceObject(service, serviceKey, spec.group !== null));
    const alerts = distinctBurnAlerts(spec.alerts);
    for (const alert of alerts) severities.add(alert.severity);
    slos.push(sloObject(spec, service, alerts));
    for (const alert of alerts) slos.push(alertPolicy(spec, alert), alertCondition(spec, alert));
  }
  const targets = [...severities].map(notificationTarget);
  const objects = [...services.values(), ...slos, ...targets];
  checkUniqueNames(objects);
  return objects.map((object) => new Document(object).toString({ directives: true, lineWidth: 0 })).join('');
}

function sloObject(spec: SloSpec, service: string, alerts: readonly BurnAlert[]): OpensloObject {
  const name = dnsName('synack', spec.target, 'handshake');
  const selector = `{target=${JSON.stringify(spec.target)}}`;
  const prometheus = (query: string) => ({ metricSource: { type: 'Prometheus', spec: { query } } });
  return {
    apiVersion: API_VERSION,
    kind: 'SLO',
    metadata: {
      name,
      displayName: displayName(`TCP handshakes to ${spec.target}`),
      ...labelsOf(spec),
      annotations: { 'synack/target': spec.target },
    },
    spec: {
      description:
        `TCP handshakes to ${spec.target}, from every region, that complete within ${spec.thresholdMs} ms. ` +
        'Attempts from a runner failing its own self-check are excluded.',
      service,
      indicator: {
        metadata: { name: dnsName('synack', spec.target, 'handshake-sli'), displayName: 'Handshakes within threshold' },
        spec: {
          ratioMetric: {
            counter: true,
            good: prometheus(`sum(synack_slo_good_total${selector})`),
            total: prometheus(`sum(synack_slo_attempts_total${selector})`),
          },
        },
      },
      timeWindow: [{ duration: formatDuration(spec.windowMs, 'windowMs'), isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ displayName: displayName(`Handshake within ${spec.thresholdMs} ms`), target: spec.objective }],
      ...(alerts.length > 0 && { alertPolicies: alerts.map((alert) => ({ alertPolicyRef: policyName(spec, alert) })) }),
    },
  };
}

function alertPolicy(spec: SloSpec, alert: BurnAlert): OpensloObject {
  const { long, short } = windows(alert);
  return {
    apiVersion: API_VERSION,
    kind: 'AlertPolicy',
    metadata: {
      name: policyName(spec, alert),
      displayName: displayName(`${spec.target}: ${alert.severity} ${long}/${short}`),
    },
    spec: {
      description:
        `${capitalize(alert.severity)} when the handshake SLO of ${spec.target} burns its error budget ` +
        `faster than ${alert.factor}x over both ${long} and ${short}.`,
      alertWhenNoData: false,
      alertWhenResolved: false,
      alertWhenBreaching: true,
      conditions: [{ conditionRef: conditionName(spec, alert) }],
      notificationTargets: [{ targetRef: notificationTargetName(alert.severity) }],
    },
  };
}

function alertCondition(spec: SloSpec, alert: BurnAlert): OpensloObject {
  const { long, short } = windows(alert);
  return {
    apiVersion: API_VERSION,
    kind: 'AlertCondition',
    metadata: {
      name: conditionName(spec, alert),
      displayName: displayName(`${spec.target}: burn rate > ${alert.factor} over ${long}/${short}`),
      // OpenSLO v1's burnrate condition has one lookback window; the multiwindow form's short
      // window (SRE workbook ch. 5), which makes the alert reset soon after a fix, goes here.
      annotations: { 'synack/short-lookback-window': short },
    },
    spec: {
      description:
        `Burn rate above ${alert.factor} over ${long}, and over ${short} too ` +
        '(multiwindow, multi-burn-rate: SRE workbook ch. 5).',
      severity: alert.severity,
      condition: { kind: 'burnrate', op: 'gt', threshold: alert.factor, lookbackWindow: long },
    },
  };
}

function serviceObject(name: string, key: string, isGroup: boolean): OpensloObject {
  return {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name, displayName: displayName(key) },
    spec: {
      description: isGroup ? `The targets of group ${key}, probed by synack.` : `Target ${key}, probed by synack.`,
    },
  };
}

function notificationTarget(severity: BurnAlert['severity']): OpensloObject {
  return {
    apiVersion: API_VERSION,
    kind: 'AlertNotificationTarget',
    metadata: { name: notificationTargetName(severity) },
    spec: {
      target: severity,
      description: `Alerts of severity ${severity}: route them like the Prometheus alerts labelled severity=${severity}.`,
    },
  };
}

const windows = (alert: BurnAlert) => ({
  long: formatDuration(alert.longMs, 'longMs'),
  short: formatDuration(alert.shortMs, 'shortMs'),
});

function policyName(spec: SloSpec, alert: BurnAlert): string {
  const { long, short } = windows(alert);
  return dnsName('synack', spec.target, `handshake-${alert.severity}-${long}-${short}`);
}

function conditionName(spec: SloSpec, alert: BurnAlert): string {
  const { long, short } = windows(alert);
  return dnsName('synack', spec.target, `handshake-${alert.severity}-${long}-${short}-burn`);
}

const notificationTargetName = (severity: BurnAlert['severity']) => `synack-${severity}`;

function labelsOf(spec: SloSpec): { labels?: Record<string, string> } {
  const labels = spec.labels ?? {};
  const keys = Object.keys(labels);
  const bad = keys.filter((key) => !LABEL_KEY.test(key));
  if (bad.length > 0) {
    throw new RangeError(`${spec.target}: OpenSLO label keys start and end with a letter or digit: ${bad.join(', ')}`);
  }
  return keys.length === 0 ? {} : { labels: { ...labels } };
}

/**
 * `prefix-key-suffix` as a DNS label (RFC 1123, at most 63 characters). A key that had to change
 * (case, other characters, length) gets a hash of the original, so distinct keys stay distinct.
 */
function dnsName(prefix: string, key: string, suffix: string): string {
  const join = (slug: string) => [prefix, slug, suffix].filter((part) => part !== '').join('-');
  const slug = key
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  if (slug === key && join(slug).length <= NAME_MAX) return join(slug);
  const hash = fnv1a32(key);
  const room = NAME_MAX - join(hash).length - 1;
  const kept = slug.slice(0, Math.max(0, room)).replace(/-+$/, '');
  return join(kept === '' ? hash : `${kept}-${hash}`);
}

/** FNV-1a, 32 bits, as 8 hex digits: short, stable, good enough to tell names apart. */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

function displayName(text: string): string {
  const chars = [...text];
  return chars.length <= NAME_MAX ? text : `${chars.slice(0, NAME_MAX - 1).join('')}…`;
}

const capitalize = (word: string) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`;

function checkUniqueNames(objects: readonly OpensloObject[]): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const key = `${object.kind}/${String(object.metadata.name)}`;
    if (seen.has(key)) throw new RangeError(`two OpenSLO objects named ${key}`);
    seen.add(key);
  }
}
