import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from './parse-config.ts';

// A config that parses, to mutate one field at a time: most generated documents are then nearly
// valid, which reaches the deep checks (allow-lists, SLOs, tokens) rather than failing at the top.
const VALID = {
  redis: 'redis://127.0.0.1:6379',
  prefix: 'synack',
  regions: ['eu-west', 'us-east'],
  allow: [{ cidr: '10.0.0.0/8', ports: '1-65535' }],
  defaults: { interval: '10s', timeout: '2s', slo: { threshold: '200ms' } },
  groups: { web: { labels: { team: 'web' }, regions: ['eu-west'] } },
  runner: { concurrency: 64, control: { address: '10.0.0.1', port: 22 } },
  collector: { listen: '127.0.0.1:8470', history_per_series: 20 },
  api: { tokens: [{ name: 'ci', sha256: 'a'.repeat(64), scopes: ['read', 'probe'] }] },
  slack: { signing_secret_file: '/run/secrets/slack', response_url_hosts: ['127.0.0.1:9000'] },
  on_demand: { allow: [{ cidr: '10.1.0.0/16', ports: 443 }], rate_limits: { per_user: '5/1m' } },
  alerts: [{ kind: 'webhook', url: 'https://alerts.example/hook' }],
  targets: [
    { name: 'web', address: '10.0.0.5', port: 443, group: 'web', slo: { objective: '99.9%' } },
    { name: 'api', address: 'api.internal', port: 8443, probes: ['syn'], families: ['v4'] },
  ],
};

const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
  fc.constantFrom(
    '0x7f.0.0.1',
    '::ffff:10.0.0.1/104',
    '10.0.0.0/33',
    '-1',
    '1e309',
    '99.99999%',
    '0/1m',
    'a'.repeat(300),
  ),
);

/** Every path to a leaf or a node of the valid document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}
const PATHS = paths(VALID).filter((p) => p.length > 0);

function mutate(path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(VALID) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove) delete node[last];
  else node[last] = replacement;
  return copy;
}

// `NaN` may appear only when the document itself holds it (`.nan`, or the text): then the message rightly quotes it.
function expectClearResult(text: string) {
  const holdsNaN = /nan/i.test(text);
  const result = parseConfig(text, 'fuzz.yaml', {});
  if (result.ok) return;
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(issue.file).toBe('fuzz.yaml');
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.message).not.toMatch(holdsNaN ? /\[object Object\]|undefined/ : /\[object Object\]|undefined|NaN/);
    expect(Number.isInteger(issue.line)).toBe(true);
  }
}

describe('config parser under generated bad input', () => {
  it('starts from a config that parses', () => {
    const result = parseConfig(stringify(VALID), 'fuzz.yaml', {});
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it('never throws, and names a field with a message for every mutation of a valid config', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), anyValue, fc.boolean(), (path, replacement, remove) => {
        expectClearResult(stringify(mutate(path, replacement, remove)));
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary text and arbitrary documents', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.json().map((json) => stringify(JSON.parse(json))),
        ),
        (text) => {
          expectClearResult(text);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
