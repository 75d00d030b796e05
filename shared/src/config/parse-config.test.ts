import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../signing-key.ts';
import { type ConfigIssue, formatConfigIssue, parseConfig } from './parse-config.ts';
import type { SynackConfig } from './synack-config.ts';

const FULL = `redis: /run/redis.sock
prefix: "{synack}"
regions: [eu-west, us-east]
allow:
  - { cidr: 10.0.0.0/8, ports: "1-65535" }
  - { cidr: "2001:DB8:0::/32", ports: "443,8000-8100" }
  - { cidr: 192.0.2.7, ports: 443 }
defaults:
  interval: 20s
  probes: [syn]
  slo: { window: 7d, threshold: 500ms }
groups:
  web:
    interval: 10s
    timeout: 1s
    labels: { team: web, tier: backend }
    regions: [eu-west]
    slo:
      objective: 99.9%
      burn_alerts: [{ severity: page, long: 1h, short: 5m, factor: 14.4 }]
runner:
  concurrency: 64
  control: { address: 10.0.0.1, port: 22 }
  controls: { us-east: { address: "::ffff:10.1.2.3", port: 22, interval: 5s } }
collector:
  listen: "[::1]:9000"
alerts:
  - { kind: slack, url_env: SYNACK_SLACK_WEBHOOK }
  - { kind: webhook, url: "https://alerts.example/hook" }
targets:
  - name: web
    address: Web.Internal.Example
    port: 443
    group: web
    labels: { tier: frontend }
    slo: { threshold: 250ms }
  - name: db
    address: 10.0.0.5
    port: 5432
    interval: 2s
    families: [v4]
    probes: [connect, syn, connect]
  - name: api-v6
    address: "2001:db8::0:1"
    port: 8080
    failing_interval: 3s
`;

const EXPECTED: SynackConfig = {
  file: 'synack.yaml',
  redisUrl: 'unix:///run/redis.sock',
  prefix: '{synack}',
  regions: ['eu-west', 'us-east'],
  allow: [
    { cidr: '10.0.0.0/8', ports: [[1, 65535]] },
    {
      cidr: '2001:db8::/32',
      ports: [
        [443, 443],
        [8000, 8100],
      ],
    },
    { cidr: '192.0.2.7/32', ports: [[443, 443]] },
  ],
  targets: [
    {
      // From the group: interval, timeout, regions and labels (the target's tier wins); probes from defaults.
      name: 'web',
      address: 'web.internal.example',
      port: 443,
      probes: ['syn'],
      families: ['v4', 'v6'],
      intervalMs: 10_000,
      failingIntervalMs: 2000,
      timeoutMs: 1000,
      regions: ['eu-west'],
      group: 'web',
      labels: { team: 'web', tier: 'frontend' },
      // Merged field by field: threshold from the target, objective and alerts from the group, window from defaults.
      slo: {
        objective: 0.999,
        windowMs: 7 * 86_400_000,
        thresholdMs: 250,
        burnAlerts: [{ severity: 'page', longMs: 3_600_000, shortMs: 300_000, factor: 14.4 }],
      },
    },
    {
      // Interval under 3 s and no timeout anywhere: the timeout is the interval; failing interval floors at 1 s.
      name: 'db',
      address: '10.0.0.5',
      port: 5432,
      probes: ['connect', 'syn'],
      families: ['v4'],
      intervalMs: 2000,
      failingIntervalMs: 1000,
      timeoutMs: 2000,
      regions: ['eu-west', 'us-east'],
      group: null,
      labels: {},
      slo: null,
    },
    {
      // A v6 literal is probed over v6 only, whatever the default families say.
      name: 'api-v6',
      address: '2001:db8::1',
      port: 8080,
      probes: ['syn'],
      families: ['v6'],
      intervalMs: 20_000,
      failingIntervalMs: 3000,
      timeoutMs: 3000,
      regions: ['eu-west', 'us-east'],
      group: null,
      labels: {},
      slo: null,
    },
  ],
  runner: {
    concurrency: 64,
    maxProbesPerSecondPerTarget: 5,
    control: {
      '*': { address: '10.0.0.1', port: 22, intervalMs: 10_000 },
      'us-east': { address: '10.1.2.3', port: 22, intervalMs: 5000 },
    },
  },
  collector: { historyPerSeries: 20, listen: '[::1]:9000' },
  api: { tokens: [] },
  slack: { signingSecret: null, signingSecretFile: null, responseUrlHosts: [] },
  onDemand: {
    allow: [],
    rateLimits: {
      perUser: { count: 10, perMs: 60_000 },
      perChannel: { count: 30, perMs: 60_000 },
      perTarget: { count: 20, perMs: 60_000 },
    },
  },
  agents: [],
  signing: { publicKeys: [], privateKeyFile: null },
  alerts: [
    { kind: 'slack', url: null, urlEnv: 'SYNACK_SLACK_WEBHOOK' },
    { kind: 'webhook', url: 'https://alerts.example/hook', urlEnv: null },
  ],
};

function valid(text: string, env: Record<string, string | undefined> = {}): SynackConfig {
  const result = parseConfig(text, 'synack.yaml', env);
  if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join('\n'));
  return result.config;
}

function issues(text: string, env: Record<string, string | undefined> = {}): ConfigIssue[] {
  const result = parseConfig(text, 'synack.yaml', env);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

/** `line:column path: message`, to compare many issues at a glance. */
const brief = (issue: ConfigIssue) =>
  `${issue.line}:${issue.column} ${issue.path && `${issue.path}: `}${issue.message}`;

const MINIMAL = `regions: [eu-west]
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
targets:
`;

describe('parseConfig', () => {
  it('normalizes a full config: defaults, group merge, clamped timeout, literal families', () => {
    expect(valid(FULL)).toEqual(EXPECTED);
  });

  it('returns a deeply frozen config', () => {
    const config = valid(FULL);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.targets)).toBe(true);
    expect(Object.isFrozen(config.targets[0]?.labels)).toBe(true);
    expect(Object.isFrozen(config.allow[1]?.ports[0])).toBe(true);
    expect(Object.isFrozen(config.runner.control['us-east'])).toBe(true);
  });

  it('fills in built-in defaults', () => {
    const config = valid(`${MINIMAL}  - { name: a, address: 192.0.2.1, port: 443 }\n`);
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'synack',
      runner: { concurrency: 256, maxProbesPerSecondPerTarget: 5, control: {} },
      collector: { historyPerSeries: 20, listen: '127.0.0.1:8470' },
      agents: [],
    });
    expect(config.targets[0]).toEqual({
      name: 'a',
      address: '192.0.2.1',
      port: 443,
      probes: ['syn', 'connect'],
      families: ['v4'],
      intervalMs: 30_000,
      failingIntervalMs: 6000,
      timeoutMs: 3000,
      regions: ['eu-west'],
      group: null,
      labels: {},
      slo: null,
    });
  });

  it('lets SYNACK_REDIS_URL override the file, and ignores it when empty', () => {
    expect(valid(FULL, { SYNACK_REDIS_URL: 'rediss://redis.internal:6380/2' }).redisUrl).toBe(
      'rediss://redis.internal:6380/2',
    );
    expect(valid(FULL, { SYNACK_REDIS_URL: '/tmp/r.sock' }).redisUrl).toBe('unix:///tmp/r.sock');
    expect(valid(FULL, { SYNACK_REDIS_URL: '' }).redisUrl).toBe('unix:///run/redis.sock');
  });

  it('reports a bad SYNACK_REDIS_URL as an environment issue, without echoing it', () => {
    const [issue, ...rest] = issues(FULL, { SYNACK_REDIS_URL: 'http://user:secret@redis' });
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ file: 'environment', line: 0, path: 'SYNACK_REDIS_URL' });
    expect(formatConfigIssue(issue as ConfigIssue)).toBe(
      'environment SYNACK_REDIS_URL: expected a redis://, rediss://, redis-cluster://, redis-sentinel:// or unix:// URL, or an absolute socket path',
    );
  });

  it('reports every issue at once, each at its line and path', () => {
    const text = `regions: [eu-west, eu-west]
allow:
  - { cidr: 192.0.2.0/24, ports: 443 }
defaults:
  intervall: 10s
  timeout: 0s
groups:
  web: { interval: 500ms }
targets:
  - name: web
    address: 192.0.2.1
    port: 70000
  - name: web
    address: 198.51.100.1
    port: 443
  - name: db
    address: 192.0.2.9
    port: 443
    regions: [ap-south]
    group: db
    probes: [icmp]
  - address: 224.0.0.1
    port: 80
    timeout: 5s
    interval: 2s
redis: http://user:secret@example
runner:
  controls: { ap-south: { address: 10.0.0.1, port: 22 } }
`;
    expect(issues(text).map(brief)).toEqual([
      '1:20 regions[1]: duplicate region "eu-west"',
      '5:3 defaults.intervall: unknown key "intervall" (did you mean "interval"?)',
      '6:12 defaults.timeout: must be more than 0, got 0s',
      '8:20 groups.web.interval: expected at least 1s, got 500ms',
      '12:11 targets[0].port: expected 1..65535, got 70000',
      '13:5 targets[1]: 198.51.100.1:443 is outside allow',
      '13:11 targets[1].name: duplicate target name "web" (first at line 10)',
      '19:15 targets[2].regions[0]: region "ap-south" is not declared in regions',
      '20:12 targets[2].group: group "db" is not defined in groups',
      '21:14 targets[2].probes[0]: expected syn or connect, got "icmp"',
      // A missing key is reported at the mapping that lacks it.
      '22:5 targets[3].name: required',
      '22:14 targets[3].address: bad target "224.0.0.1": 224.0.0.1 is a multicast address, not a host to probe',
      '24:14 targets[3].timeout: timeout 5s is longer than the interval 2s',
      '26:8 redis: expected a redis://, rediss://, redis-cluster://, redis-sentinel:// or unix:// URL, or an absolute socket path',
      '28:15 runner.controls.ap-south: region "ap-south" is not declared in regions',
    ]);
  });

  it('reports missing required sections at the top-level mapping', () => {
    expect(issues('prefix: x\n').map(brief)).toEqual([
      '1:1 regions: required',
      '1:1 allow: required',
      '1:1 targets: required',
    ]);
  });

  it('checks timeouts against intervals across defaults, groups and targets, once per conflict', () => {
    const text = `regions: [eu-west]
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
defaults:
  timeout: 5s
groups:
  fast: { interval: 2s }
  slow: { interval: 1m }
targets:
  - { name: a, address: 192.0.2.1, port: 443, group: fast }
  - { name: b, address: 192.0.2.2, port: 443, group: fast }
  - { name: c, address: 192.0.2.3, port: 443, group: slow, interval: 4s }
  - { name: d, address: 192.0.2.4, port: 443, timeout: 40s }
`;
    expect(issues(text).map(brief)).toEqual([
      '6:21 groups.fast.interval: timeout 5s (from defaults) is longer than the interval 2s',
      '11:70 targets[2].interval: timeout 5s (from defaults) is longer than the interval 4s',
      '12:56 targets[3].timeout: timeout 40s is longer than the interval 30s (the default)',
    ]);
  });

  it('rejects a literal address outside the families it is given', () => {
    const text = `${MINIMAL}  - { name: a, address: 192.0.2.1, port: 443, families: [v6] }\n`;
    expect(issues(text).map(brief)).toEqual([
      '4:57 targets[0].families: 192.0.2.1 is an IPv4 address, but families is [v6]',
    ]);
  });

  it('matches IPv6 literals against allow, written with brackets', () => {
    const text = `${MINIMAL}  - { name: a, address: "2001:db8::1", port: 443 }\n`;
    expect(issues(text).map(brief)).toEqual(['4:5 targets[0]: [2001:db8::1]:443 is outside allow']);
    // Hostnames are checked by runners once resolved.
    expect(valid(`${MINIMAL}  - { name: a, address: example.com, port: 22 }\n`).targets[0]?.address).toBe(
      'example.com',
    );
  });

  it.each([
    ['10.0.0.0/33', 'prefix length must be 0..32, got "10.0.0.0/33"'],
    ['10.1.2.3/8', '10.1.2.3/8 has host bits set (the network is 10.0.0.0/8)'],
    ['10.0.0.0/abc', 'prefix length must be 0..32, got "10.0.0.0/abc"'],
    ['example.com/8', 'expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, got "example.com/8"'],
  ])('rejects the CIDR %s', (cidr, message) => {
    const text = `regions: [eu-west]\nallow:\n  - { cidr: "${cidr}", ports: 443 }\ntargets: []\n`;
    expect(issues(text).map(brief)).toEqual([`3:13 allow[0].cidr: ${message}`]);
  });

  it.each([
    ['"0"', 'port 0 is outside 1..65535'],
    ['"70000"', 'port 70000 is outside 1..65535'],
    ['"9-3"', 'range 9-3 is reversed (write 3-9)'],
    ['abc', 'expected ports like "443", "80,443" or "8000-8100", got "abc"'],
    ['70000', 'expected 1..65535, got 70000'],
  ])('rejects the ports %s', (ports, message) => {
    const text = `regions: [eu-west]\nallow:\n  - { cidr: 10.0.0.0/8, ports: ${ports} }\ntargets: []\n`;
    expect(issues(text).map(brief)).toEqual([`3:32 allow[0].ports: ${message}`]);
  });

  it('names unknown keys at the key, with a suggestion when one is close', () => {
    const text = `${MINIMAL}  - name: a\n    address: 192.0.2.1\n    port: 443\n    failing-interval: 2s\n    colour: red\n`;
    expect(issues(text).map(brief)).toEqual([
      '7:5 targets[0].failing-interval: unknown key "failing-interval" (did you mean "failing_interval"?)',
      '8:5 targets[0].colour: unknown key "colour"',
    ]);
  });

  it('checks field syntax: names, durations, labels, listen, prefix, counts', () => {
    const text = `regions: [EU]
prefix: "a:b"
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
runner: { concurrency: 0 }
collector: { listen: "127.0.0.1" }
groups:
  Web: {}
targets:
  - { name: Web_1, address: "web:443", port: 443, interval: 30, labels: { version: 1.10 } }
`;
    expect(issues(text).map(brief)).toEqual([
      '1:11 regions[0]: expected a region name: 1..32 characters of a-z, 0-9 and "-", got "EU"',
      '2:9 prefix: expected a key prefix of A-Z, a-z, 0-9, "_", "-", "{" and "}", got "a:b"',
      '4:24 runner.concurrency: expected a whole number >= 1, got 0',
      '5:22 collector.listen: expected host:port like 127.0.0.1:8470 or [::1]:8470, got "127.0.0.1"',
      '7:3 groups.Web: expected a group name: 1..63 characters of a-z, 0-9 and "-", got "Web"',
      '9:13 targets[0].name: expected a target name: 1..63 characters of a-z, 0-9 and "-", got "Web_1"',
      '9:29 targets[0].address: expected an IP address or a hostname without a port (the port has its own key), got "web:443"',
      '9:61 targets[0].interval: expected a duration with a unit like 500ms, 10s or 5m, got 30',
      '9:84 targets[0].labels.version: expected a string (quote numbers and booleans), got 1.1',
    ]);
  });

  it('reads host agents: each id once, an Ed25519 public key, and targets that exist', () => {
    const key = generateSigningKey().publicKey;
    const base = `regions: [r1]\nallow:\n  - { cidr: 10.0.0.0/8, ports: "443" }\ntargets:\n  - { name: web, address: 10.0.0.1, port: 443 }\n`;
    const good = parseConfig(
      `${base}agents:\n  - { id: srv-1, public_key: "${key.key}", targets: [web] }\n`,
      'synack.yaml',
      {},
    );
    expect(good.ok && good.config.agents).toEqual([{ id: 'srv-1', publicKey: key, targets: ['web'] }]);
    const text = `${base}agents:\n  - { id: srv-1, public_key: "${key.key}", targets: [web] }\n  - { id: srv-1, public_key: "ed25519:nope", targets: [db] }\n  - { id: srv-2, token_sha256: ${'a'.repeat(64)}, targets: [web] }\n`;
    expect(issues(text).map(brief)).toEqual([
      '8:11 agents[1].id: duplicate agent id "srv-1" (first at line 7)',
      '8:30 agents[1].public_key: expected an Ed25519 public key, "ed25519:" and 44 base64 characters (synack keygen prints it), got a string of 12 characters that is not one',
      '8:56 agents[1].targets[0]: target "db" is not in targets',
      '9:5 agents[2].public_key: required',
      '9:18 agents[2].token_sha256: unknown key "token_sha256"',
    ]);
  });

  it('reads signing keys with their key ids, and reports bad, duplicate or pasted private keys by line', () => {
    const [a, b] = [generateSigningKey(), generateSigningKey()];
    const base = `regions: [r1]\nallow:\n  - { cidr: 10.0.0.0/8, ports: "443" }\ntargets: []\n`;
    const config = valid(
      `${base}signing:\n  public_keys: ["${a.publicKey.key}", "${b.publicKey.key}"]\n  private_key_file: /run/secrets/k.pem\n`,
    );
    expect(config.signing).toEqual({ publicKeys: [a.publicKey, b.publicKey], privateKeyFile: '/run/secrets/k.pem' });
    expect(valid(base).signing).toEqual({ publicKeys: [], privateKeyFile: null });
    expect(valid(`${base}signing: { public_keys: [] }\n`).signing.publicKeys).toEqual([]);
    const pem = JSON.stringify(a.privateKeyPem);
    const text = `${base}signing:\n  public_keys:\n    - "${a.publicKey.key}"\n    - "${a.publicKey.key}"\n    - ed25519:AAAA\n    - ${pem}\n  private_key_file: relative.pem\n  private_key: x\n`;
    const found = issues(text);
    expect(found.map(brief)).toEqual([
      `8:7 signing.public_keys[1]: duplicate key ${a.publicKey.kid} (first at line 7)`,
      '9:7 signing.public_keys[2]: expected an Ed25519 public key, "ed25519:" and 44 base64 characters (synack keygen prints it), got a string of 12 characters that is not one',
      '10:7 signing.public_keys[3]: expected an Ed25519 public key, "ed25519:" and 44 base64 characters (synack keygen prints it), got what looks like a private key: keep it out of this file',
      '11:21 signing.private_key_file: expected an absolute path to the PKCS#8 PEM private key (synack keygen --out FILE) (the value is not shown: it may be a secret)',
      '12:3 signing.private_key: unknown key "private_key"',
    ]);
    // The pasted private key is never echoed.
    const body = a.privateKeyPem.split('\n')[1] as string;
    expect(found.map(formatConfigIssue).join('\n')).not.toContain(body);
  });

  it('asks for a hash-tagged prefix on a Redis Cluster', () => {
    const base = `regions: [r1]\nallow:\n  - { cidr: 10.0.0.0/8, ports: "443" }\ntargets: []\n`;
    expect(issues(`redis: redis-cluster://10.0.0.1:7000\n${base}`).map(brief)).toEqual([
      '1:8 redis: a Redis Cluster needs a hash-tagged prefix, e.g. prefix: "{synack}"',
    ]);
    expect(parseConfig(`redis: redis-cluster://10.0.0.1:7000\nprefix: "{s}"\n${base}`, 'synack.yaml', {}).ok).toBe(
      true,
    );
  });

  it('reports wrong types in the file’s words', () => {
    const text = `regions: eu-west\nallow: {}\ntargets:\n  - just-a-name\n`;
    expect(issues(text).map(brief)).toEqual([
      '1:10 regions: expected a list, got "eu-west"',
      '2:8 allow: expected a list, got a mapping',
      '4:5 targets[0]: expected a mapping, got "just-a-name"',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const text = 'regions: [eu-west]\nallow:\n  - { cidr: 10.0.0.0/8\ntargets: []\n';
    // The unclosed "{" on line 3 is only known to be unclosed where line 4 starts.
    expect(issues(text)).toEqual([
      {
        file: 'synack.yaml',
        line: 4,
        column: 1,
        path: '',
        message: 'Flow map in block collection must be sufficiently indented and end with a }',
      },
    ]);
    expect(issues('a: 1\na: 2\n').map(brief)).toEqual(['2:1 Map keys must be unique']);
    expect(issues('a: 1\n---\nb: 2\n').map(brief)).toEqual([
      '2:1 expected one YAML document, found a second one after "---"',
    ]);
  });

  it('gives one clear issue for an empty or non-mapping document', () => {
    expect(issues('').map(brief)).toEqual([
      '1:1 the file is empty: expected a mapping with regions, allow and targets',
    ]);
    expect(issues('# nothing yet\n').map(brief)).toEqual([
      '1:1 the file is empty: expected a mapping with regions, allow and targets',
    ]);
    expect(issues('- a\n- b\n').map(brief)).toEqual([
      '1:1 expected a mapping with regions, allow and targets, got a list',
    ]);
    expect(issues('hello\n').map(brief)).toEqual([
      '1:1 expected a mapping with regions, allow and targets, got "hello"',
    ]);
  });
});

describe('SLO and alert settings', () => {
  it('gives a target an SLO only when an objective is set on its chain, with the workbook alerts by default', () => {
    const config = valid(`regions: [eu-west]
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
defaults: { slo: { threshold: 1s } }
targets:
  - { name: a, address: 192.0.2.1, port: 443, slo: { objective: 99.5 } }
  - { name: b, address: 192.0.2.2, port: 443 }
`);
    expect(config.targets[0]?.slo).toEqual({
      objective: 0.995,
      windowMs: 30 * 86_400_000,
      thresholdMs: 1000,
      burnAlerts: [
        { severity: 'page', longMs: 3_600_000, shortMs: 300_000, factor: 14.4 },
        { severity: 'page', longMs: 21_600_000, shortMs: 1_800_000, factor: 6 },
        { severity: 'ticket', longMs: 259_200_000, shortMs: 21_600_000, factor: 1 },
      ],
    });
    expect(config.targets[1]?.slo).toBeNull();
    expect(config.alerts).toEqual([]);
  });

  it('names each bad SLO and alert field', () => {
    const text = `regions: [eu-west]
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
alerts:
  - { kind: slack, url: "https://hooks.example/T0/B0/secret" }
  - { kind: webhook }
  - { kind: pager, url_env: X }
targets:
  - { name: a, address: 192.0.2.1, port: 443, slo: { objective: 100% , threshold: 1s } }
  - { name: b, address: 192.0.2.2, port: 443, slo: { objective: 99.9%, window: 45d, threshold: 1s } }
  - { name: c, address: 192.0.2.3, port: 443, slo: { objective: 99.9% } }
  - name: d
    address: 192.0.2.4
    port: 443
    slo: { objective: 99%, threshold: 1s, burn_alerts: [{ severity: page, long: 5m, short: 1h, factor: 2 }] }
`;
    expect(issues(text).map(brief)).toEqual([
      '4:25 alerts[0].url: a Slack webhook URL is a secret: put it in an environment variable and name that in url_env',
      '5:5 alerts[1].url: expected one of url or url_env',
      '6:13 alerts[2].kind: expected slack or webhook, got "pager"',
      '8:65 targets[0].slo.objective: expected a percentage like 99.9% (more than 0, less than 100), got "100%"',
      '9:80 targets[1].slo.window: expected at most 31d, got 45d',
      '10:52 targets[2].slo.threshold: required with an objective: the time within which a handshake counts as good, e.g. 500ms',
      '14:92 targets[3].slo.burn_alerts[0].short: must be shorter than long (5m)',
    ]);
  });
});

describe('formatConfigIssue', () => {
  it('writes file:line:column path: message', () => {
    const issue = {
      file: 'synack.yaml',
      line: 12,
      column: 11,
      path: 'targets[3].port',
      message: 'expected 1..65535, got 70000',
    };
    expect(formatConfigIssue(issue)).toBe('synack.yaml:12:11 targets[3].port: expected 1..65535, got 70000');
    expect(formatConfigIssue({ ...issue, path: '' })).toBe('synack.yaml:12:11 expected 1..65535, got 70000');
  });

  it('formats what parseConfig returns', () => {
    const text = `${MINIMAL}  - { name: a, address: 192.0.2.1, port: 70000 }\n`;
    expect(issues(text).map(formatConfigIssue)).toEqual([
      'synack.yaml:4:42 targets[0].port: expected 1..65535, got 70000',
    ]);
  });
});
