import { z } from 'zod';
import { AddressFamily } from '../address-family.ts';
import { ProbeKind } from '../probe-outcome.ts';
import {
  type Checked,
  checkAddress,
  checkCidr,
  checkDuration,
  checkEnvName,
  checkHostPort,
  checkHttpUrl,
  checkLabelValue,
  checkListen,
  checkObjective,
  checkPattern,
  checkPatternUnshown,
  checkPort,
  checkPortRanges,
  checkPositiveInteger,
  checkPositiveNumber,
  checkPublicKey,
  checkRate,
  checkRedis,
  describeValue,
  formatDurationMs,
} from './config-fields.ts';

/** Target and group names: `[a-z0-9-]`, 1..63 characters (they end up in job ids and labels). */
export const NAME = /^[a-z0-9-]{1,63}$/;
/** Region names: `[a-z0-9-]`, 1..32 characters. */
export const REGION = /^[a-z0-9-]{1,32}$/;
// No ':' in the prefix: queue names and job ids must not contain one. `{}` allow a Redis Cluster hash tag.
const PREFIX = /^[A-Za-z0-9_{}-]+$/;
// Labels become span attributes and metric labels; this is the Prometheus label-name syntax.
const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value checked by a function from config-fields.ts: its message becomes the issue's. */
export function field<T>(check: (input: unknown) => Checked<T>) {
  return z.unknown().transform((input, ctx): T => {
    if (input === undefined) {
      ctx.addIssue({ code: 'custom', message: 'required' });
      return z.NEVER;
    }
    const checked = check(input);
    if (checked.ok) return checked.value;
    ctx.addIssue({ code: 'custom', message: checked.message });
    return z.NEVER;
  });
}

/**
 * A non-empty list of `item`. Repeats are kept here (so issue indexes match the file's) and
 * dropped by `resolveConfig`.
 */
function list<T extends z.ZodType>(item: T) {
  return z.array(item).min(1, 'must not be empty');
}

const NAME_RULE = '1..63 characters of a-z, 0-9 and "-"';
const name = (what: string) => checkPattern(NAME, `${what}: ${NAME_RULE}`);
const interval = field(checkDuration(1000));
const probeKind = z.enum([ProbeKind.syn, ProbeKind.connect], {
  error: (issue) => `expected syn or connect, got ${describeValue(issue.input)}`,
});
const family = z.enum([AddressFamily.v4, AddressFamily.v6], {
  error: (issue) => `expected v4 or v6, got ${describeValue(issue.input)}`,
});
const regionName = field(checkPattern(REGION, 'a region name: 1..32 characters of a-z, 0-9 and "-"'));

/** Free-form labels (`team: web`): Prometheus-style keys, string values. */
export const labelsSchema = z.record(
  z.string().regex(LABEL_KEY, {
    error: (issue) => `expected a label name like team or service_tier, got ${describeValue(issue.input)}`,
  }),
  field(checkLabelValue),
);

// The hour ring keeps 31 days: an SLO window can be no longer.
const MAX_SLO_WINDOW_MS = 31 * 86_400_000;

/** One multi-window burn-rate alert: fires while both windows burn the budget faster than `factor`. */
export const burnAlertSchema = z
  .strictObject({
    severity: z.enum(['page', 'ticket'], {
      error: (issue) => `expected page or ticket, got ${describeValue(issue.input)}`,
    }),
    long: field(checkDuration(60_000, MAX_SLO_WINDOW_MS)),
    short: field(checkDuration(60_000, MAX_SLO_WINDOW_MS)),
    factor: field(checkPositiveNumber),
  })
  .superRefine((alert, ctx) => {
    if (alert.short >= alert.long)
      ctx.addIssue({
        code: 'custom',
        path: ['short'],
        message: `must be shorter than long (${formatDurationMs(alert.long)})`,
      });
  });

/**
 * `slo:` on `defaults`, a group or a target; the levels merge field by field, the nearest winning.
 * An attempt is good when its handshake completed within `threshold`.
 */
export const sloSchema = z.strictObject({
  objective: field(checkObjective).optional(),
  window: field(checkDuration(3_600_000, MAX_SLO_WINDOW_MS)).optional(),
  threshold: field(checkDuration(1, 600_000)).optional(),
  burn_alerts: list(burnAlertSchema).optional(),
});

/** Settings shared by `defaults`, groups and targets. */
const settings = {
  interval: interval.optional(),
  // A handshake that has not completed in 10 minutes will not; runners' timers and jobs assume less.
  timeout: field(checkDuration(1, 600_000)).optional(),
  failing_interval: interval.optional(),
  probes: list(probeKind).optional(),
  families: list(family).optional(),
  regions: list(regionName).optional(),
  slo: sloSchema.optional(),
};

/** `defaults:`, applied to every target unless its group or itself says otherwise. */
export const defaultsSchema = z.strictObject(settings);

/** One entry of `groups:`, a named set of settings and labels. */
export const groupSchema = z.strictObject({ ...settings, labels: labelsSchema.optional() });

/** One entry of `targets:`. `address` comes out as `{ address, family }` (family `null` for a hostname). */
export const targetSchema = z.strictObject({
  name: field(name('a target name')),
  address: field(checkAddress),
  port: field(checkPort),
  ...settings,
  group: field(name('a group name')).optional(),
  labels: labelsSchema.optional(),
});

/** One entry of `allow:`; `cidr` comes out canonical, `ports` as inclusive ranges. */
export const allowRuleSchema = z.strictObject({ cidr: field(checkCidr), ports: field(checkPortRanges) });

/** `runner.control` and each `runner.controls.<region>`. */
export const controlSchema = z.strictObject({
  address: field(checkAddress),
  port: field(checkPort),
  interval: interval.optional(),
});

/** `runner:`. */
export const runnerSchema = z.strictObject({
  concurrency: field(checkPositiveInteger).optional(),
  max_probes_per_second_per_target: field(checkPositiveNumber).optional(),
  control: controlSchema.optional(),
  controls: z.record(z.string(), controlSchema).optional(),
});

/**
 * One entry of `agents:`: a host agent allowed to report, the Ed25519 public key its requests are
 * signed with (`synack keygen` makes the pair; the private key stays on the host), and the
 * targets its host serves.
 */
export const agentSchema = z.strictObject({
  id: field(name('an agent id')),
  public_key: field(checkPublicKey),
  targets: list(field(name('a target name'))),
});

/**
 * `signing:`, how probe jobs are authenticated (Ed25519). Runners take only jobs signed by one of
 * `public_keys` (several during a rotation); the scheduler, the collector and `synack probe`
 * sign with the PKCS#8 PEM key in `private_key_file`, or in SYNACK_SIGNING_KEY, which wins.
 */
export const signingSchema = z.strictObject({
  public_keys: z.array(field(checkPublicKey)).optional(),
  private_key_file: field(
    checkPatternUnshown(/^\/.+/, 'an absolute path to the PKCS#8 PEM private key (synack keygen --out FILE)'),
  ).optional(),
});

/** `collector:`. */
export const collectorSchema = z.strictObject({
  history_per_series: field(checkPositiveInteger).optional(),
  listen: field(checkListen).optional(),
});

/**
 * One entry of `alerts:`, where SLO burn-rate alerts go: a Slack incoming webhook or a generic
 * JSON webhook. A URL that is a secret (Slack's always is) is named by the environment variable
 * holding it, so it never sits in this file.
 */
export const alertSinkSchema = z
  .strictObject({
    kind: z.enum(['slack', 'webhook'], {
      error: (issue) => `expected slack or webhook, got ${describeValue(issue.input)}`,
    }),
    url: field(checkHttpUrl).optional(),
    url_env: field(checkEnvName).optional(),
  })
  .superRefine((sink, ctx) => {
    if (sink.kind === 'slack' && sink.url !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'a Slack webhook URL is a secret: put it in an environment variable and name that in url_env',
      });
    else if ((sink.url === undefined) === (sink.url_env === undefined))
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'expected one of url or url_env' });
  });

/** What an API token may do: `read` the API, start `probe`s, or everything (`admin`). */
export const API_SCOPES = ['read', 'probe', 'admin'] as const;

/**
 * One entry of `api.tokens`: a bearer token for the HTTP API, stored as its SHA-256 (the token
 * itself never sits in this file; `synack token create` makes one and prints this entry).
 */
export const apiTokenSchema = z.strictObject({
  name: field(name('a token name')),
  sha256: field(
    checkPatternUnshown(/^[0-9a-f]{64}$/, 'the SHA-256 of the token, 64 lower-case hex digits (sha256sum)'),
  ),
  scopes: list(
    z.enum(API_SCOPES, {
      error: (issue) => `expected read, probe or admin, got ${describeValue(issue.input)}`,
    }),
  ),
});

/** `api:`. Tokens in SYNACK_API_TOKENS are added to these. */
export const apiSchema = z.strictObject({ tokens: z.array(apiTokenSchema).optional() });

/**
 * `slack:`, the slash command. The signing secret is read from `signing_secret_file`, or from
 * SYNACK_SLACK_SIGNING_SECRET; `response_url_hosts` adds hosts (`host` or `host:port`) that
 * replies may be posted to besides Slack's own.
 */
export const slackSchema = z.strictObject({
  signing_secret_file: field(
    checkPatternUnshown(/^\/.+/, 'an absolute path to the file holding the signing secret'),
  ).optional(),
  response_url_hosts: list(field(checkHostPort)).optional(),
});

/** `on_demand:`, what chat and the API may probe besides configured targets, and how often. */
export const onDemandSchema = z.strictObject({
  allow: z.array(allowRuleSchema).optional(),
  rate_limits: z
    .strictObject({
      per_user: field(checkRate).optional(),
      per_channel: field(checkRate).optional(),
      per_target: field(checkRate).optional(),
    })
    .optional(),
});

/**
 * The YAML file as written (snake_case keys), checked field by field. Its output still has the
 * file's shape, with values normalized (durations in ms, canonical addresses and CIDRs, port
 * ranges); `resolveConfig` applies defaults and groups and checks what spans several fields.
 */
export const configSchema = z.strictObject({
  redis: field(checkRedis).optional(),
  prefix: field(checkPattern(PREFIX, 'a key prefix of A-Z, a-z, 0-9, "_", "-", "{" and "}"')).optional(),
  regions: list(regionName).superRefine((regions, ctx) => {
    regions.forEach((region, index) => {
      if (regions.indexOf(region) !== index)
        ctx.addIssue({ code: 'custom', message: `duplicate region "${region}"`, path: [index] });
    });
  }),
  allow: z.array(allowRuleSchema).min(1, 'must not be empty: list what runners may probe'),
  defaults: defaultsSchema.optional(),
  groups: z
    .record(
      z.string().regex(NAME, {
        error: (issue) => `expected a group name: ${NAME_RULE}, got ${describeValue(issue.input)}`,
      }),
      groupSchema,
    )
    .optional(),
  runner: runnerSchema.optional(),
  collector: collectorSchema.optional(),
  agents: z.array(agentSchema).optional(),
  signing: signingSchema.optional(),
  alerts: z.array(alertSinkSchema).optional(),
  api: apiSchema.optional(),
  slack: slackSchema.optional(),
  on_demand: onDemandSchema.optional(),
  targets: z.array(targetSchema),
});

/** Shared settings after the schema: durations in ms. */
export type RawSettings = z.output<typeof defaultsSchema>;
export type RawGroup = z.output<typeof groupSchema>;
export type RawTarget = z.output<typeof targetSchema>;
export type RawControl = z.output<typeof controlSchema>;
export type RawRunner = z.output<typeof runnerSchema>;
export type RawCollector = z.output<typeof collectorSchema>;
export type RawAgent = z.output<typeof agentSchema>;
export type RawSlo = z.output<typeof sloSchema>;
export type RawAlertSink = z.output<typeof alertSinkSchema>;
export type RawOnDemand = z.output<typeof onDemandSchema>;

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
};

/**
 * Messages for zod's generic issues, in the file's words ("a mapping", "a list"); pass it as the
 * `error` option of `safeParse`. Field checks carry their own messages.
 */
export function configErrorMap(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'array') return 'must not be empty';
  return undefined;
}
