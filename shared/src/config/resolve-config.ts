import type { z } from 'zod';
import { AddressFamily } from '../address-family.ts';
import { compileAllowList } from '../allow-list.ts';
import { ProbeKind } from '../probe-outcome.ts';
import { Secret } from '../secret.ts';
import { parsePublicKey } from '../signing-key.ts';
import { apiTokensFromEnv } from './api-tokens-env.ts';
import { checkRedis } from './config-fields.ts';
import {
  agentSchema,
  alertSinkSchema,
  apiSchema,
  collectorSchema,
  configSchema,
  defaultsSchema,
  groupSchema,
  onDemandSchema,
  type RawControl,
  type RawSettings,
  runnerSchema,
  signingSchema,
  slackSchema,
  targetSchema,
} from './config-schema.ts';
import { isRecord, salvage } from './salvage.ts';
import {
  checkTimeout,
  DEFAULT_INTERVAL_MS,
  firstSetting,
  knownSetting,
  type Level,
  UNKNOWN,
} from './settings-chain.ts';
import type {
  AgentConfig,
  AlertSinkConfig,
  ApiTokenConfig,
  ControlTarget,
  OnDemandConfig,
  RateLimit,
  SloConfig,
  SynackConfig,
  TargetConfig,
} from './synack-config.ts';

/** A problem found across fields, located by its path in the file (`at: 'key'`: at the key itself). */
export type PathIssue = { path: readonly (string | number)[]; message: string; at?: 'key' };

/** A problem with an environment variable rather than the file. */
export type EnvIssue = { name: string; message: string };

/** What `resolveConfig` needs besides the document. */
export type ResolveContext = {
  file: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The 1-based line of the node at `path`, for messages that point at another place in the file. */
  lineOf: (path: readonly (string | number)[]) => number;
};

/** Issues found across fields, and the config when there are none and every part was valid. */
export type Resolved = { issues: PathIssue[]; envIssues: EnvIssue[]; config: SynackConfig | undefined };

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_CONTROL_INTERVAL_MS = 10_000;
const MIN_FAILING_INTERVAL_MS = 1000;

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

/**
 * Applies `defaults` and groups to targets and checks what spans several fields: duplicate names,
 * undeclared regions, unknown groups, timeout against interval, families against a literal
 * address, and IP-literal targets against `allow`. `root` is the document as plain data; the
 * per-field checks are `configSchema`'s, whose issues the caller reports. Runs what it can even
 * when parts are invalid, so that every problem shows up in one pass.
 */
export function resolveConfig(root: Record<string, unknown>, context: ResolveContext): Resolved {
  const issues: PathIssue[] = [];
  const envIssues: EnvIssue[] = [];
  let complete = true;
  const take = <T>(schema: z.ZodType<T>, raw: unknown): T | undefined => {
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    complete = false;
    return undefined;
  };
  const shape = configSchema.shape;

  const fileRedis = take(shape.redis, root.redis);
  const prefix = take(shape.prefix, root.prefix);
  const regions = take(shape.regions, root.regions);
  const allow = take(shape.allow, root.allow);
  // Names as written, even if some are invalid: those get their own issue, not one per reference.
  const declared = Array.isArray(root.regions) ? new Set(root.regions) : undefined;
  const checkRegions = (list: readonly string[] | undefined, path: readonly (string | number)[]) => {
    list?.forEach((region, index) => {
      if (declared && !declared.has(region)) {
        issues.push({ path: [...path, 'regions', index], message: `region "${region}" is not declared in regions` });
      }
    });
  };

  const defaults = salvage(defaultsSchema, root.defaults);
  const defaultsLevel: Level = {
    label: 'defaults',
    path: ['defaults'],
    settings: defaults.value,
    invalid: defaults.invalid,
  };
  checkRegions(defaults.value.regions, ['defaults']);
  checkTimeout([defaultsLevel], issues);
  complete &&= defaults.complete;

  const groupNames =
    root.groups === undefined
      ? new Set<string>()
      : isRecord(root.groups)
        ? new Set(Object.keys(root.groups))
        : undefined;
  if (groupNames === undefined) complete = false;
  const groups = new Map<string, Level & { labels: Readonly<Record<string, string>> }>();
  for (const [name, raw] of Object.entries(isRecord(root.groups) ? root.groups : {})) {
    const group = salvage(groupSchema, raw);
    const level: Level = {
      label: `group "${name}"`,
      path: ['groups', name],
      settings: group.value,
      invalid: group.invalid,
    };
    groups.set(name, { ...level, labels: group.value.labels ?? {} });
    checkRegions(group.value.regions, level.path);
    checkTimeout([level, defaultsLevel], issues);
    complete &&= group.complete;
  }

  const agents: AgentConfig[] = [];
  const agentIds = new Map<string, number>();
  const rawAgents = Array.isArray(root.agents) ? root.agents : [];
  rawAgents.forEach((raw, index) => {
    const agent = salvage(agentSchema, raw);
    complete &&= agent.complete;
    const { id, public_key: publicKey, targets: served } = agent.value;
    if (id !== undefined) {
      const first = agentIds.get(id);
      if (first !== undefined) {
        issues.push({
          path: ['agents', index, 'id'],
          message: `duplicate agent id "${id}" (first at line ${context.lineOf(['agents', first, 'id'])})`,
        });
      } else agentIds.set(id, index);
    }
    if (id !== undefined && publicKey !== undefined && served !== undefined)
      agents.push({ id, publicKey, targets: unique(served) });
  });

  const alerts: AlertSinkConfig[] = [];
  (Array.isArray(root.alerts) ? root.alerts : []).forEach((raw) => {
    const sink = alertSinkSchema.safeParse(raw);
    if (!sink.success) complete = false;
    else alerts.push({ kind: sink.data.kind, url: sink.data.url ?? null, urlEnv: sink.data.url_env ?? null });
  });
  if (root.alerts !== undefined && !Array.isArray(root.alerts)) complete = false;

  const runner = salvage(runnerSchema, root.runner);
  const collector = salvage(collectorSchema, root.collector);
  const api = salvage(apiSchema, root.api);
  const slack = salvage(slackSchema, root.slack);
  const onDemand = salvage(onDemandSchema, root.on_demand);
  const signing = salvage(signingSchema, root.signing);
  complete &&= runner.complete && collector.complete && api.complete && slack.complete && onDemand.complete;
  complete &&= signing.complete;
  const publicKeys = signing.value.public_keys ?? [];
  // Each entry on its own, so a duplicate is reported beside another entry's bad syntax.
  const firstKey = new Map<string, number>();
  const rawKeys = isRecord(root.signing) && Array.isArray(root.signing.public_keys) ? root.signing.public_keys : [];
  rawKeys.forEach((raw: unknown, index) => {
    const parsed = parsePublicKey(raw);
    if (!parsed.ok) return;
    const first = firstKey.get(parsed.entry.kid);
    if (first === undefined) firstKey.set(parsed.entry.kid, index);
    else
      issues.push({
        path: ['signing', 'public_keys', index],
        message: `duplicate key ${parsed.entry.kid} (first at line ${context.lineOf(['signing', 'public_keys', first])})`,
      });
  });
  // Keys do one job each: the key that signs probe jobs on a monitored host, or one agent able to
  // speak for another, would widen what a stolen key can do.
  const agentKey = new Map<string, number>();
  rawAgents.forEach((raw: unknown, index) => {
    const parsed = parsePublicKey(isRecord(raw) ? raw.public_key : undefined);
    if (!parsed.ok) return;
    const path = ['agents', index, 'public_key'];
    const first = agentKey.get(parsed.entry.kid);
    if (firstKey.has(parsed.entry.kid))
      issues.push({
        path,
        message: 'this is a job-signing key (in signing.public_keys): give the agent a key of its own',
      });
    else if (first !== undefined)
      issues.push({
        path,
        message: `the same key as agent ${first + 1} (line ${context.lineOf(['agents', first, 'public_key'])}): one key per agent`,
      });
    else agentKey.set(parsed.entry.kid, index);
  });
  const tokens: ApiTokenConfig[] = (api.value.tokens ?? []).map((t) => ({ ...t, from: 'file' as const }));
  const tokenNames = new Map<string, number>();
  tokens.forEach((token, index) => {
    const first = tokenNames.get(token.name);
    if (first === undefined) tokenNames.set(token.name, index);
    else
      issues.push({
        path: ['api', 'tokens', index, 'name'],
        message: `duplicate token name "${token.name}" (first at line ${context.lineOf(['api', 'tokens', first, 'name'])})`,
      });
  });
  const fromEnv = apiTokensFromEnv(context.env.SYNACK_API_TOKENS);
  if (fromEnv.ok) {
    for (const token of fromEnv.tokens) {
      if (tokenNames.has(token.name))
        envIssues.push({ name: 'SYNACK_API_TOKENS', message: `token name "${token.name}" is also in api.tokens` });
      else tokens.push(token);
    }
  } else envIssues.push({ name: 'SYNACK_API_TOKENS', message: fromEnv.message });
  // One token, one set of scopes: two entries with the same digest would grant by list order.
  const digests = new Map<string, ApiTokenConfig>();
  tokens.forEach((token, index) => {
    const first = digests.get(token.sha256);
    if (first === undefined) digests.set(token.sha256, token);
    else if (token.from === 'environment')
      envIssues.push({
        name: 'SYNACK_API_TOKENS',
        message: `token "${token.name}" has the same SHA-256 as "${first.name}"`,
      });
    else
      issues.push({
        path: ['api', 'tokens', index, 'sha256'],
        message: `the same SHA-256 as token "${first.name}": one token, one entry`,
      });
  });
  const envSlackSecret = context.env.SYNACK_SLACK_SIGNING_SECRET?.trim();
  if (isRecord(root.runner) && isRecord(root.runner.controls)) {
    for (const region of Object.keys(root.runner.controls)) {
      if (declared && !declared.has(region)) {
        issues.push({
          path: ['runner', 'controls', region],
          message: `region "${region}" is not declared in regions`,
          at: 'key',
        });
      }
    }
  }

  if (!Array.isArray(root.targets)) complete = false;
  const matcher = allow === undefined ? undefined : compileAllowList(allow);
  const firstIndex = new Map<string, number>();
  const targets: TargetConfig[] = [];
  (Array.isArray(root.targets) ? root.targets : []).forEach((raw: unknown, index) => {
    const path = ['targets', index];
    const name = isRecord(raw) ? raw.name : undefined;
    if (typeof name === 'string') {
      const earlier = firstIndex.get(name);
      if (earlier === undefined) firstIndex.set(name, index);
      else {
        const line = context.lineOf(['targets', earlier, 'name']);
        issues.push({ path: [...path, 'name'], message: `duplicate target name "${name}" (first at line ${line})` });
      }
    }
    const target = salvage(targetSchema, raw);
    const t = target.value;
    complete &&= target.complete;
    checkRegions(t.regions, path);
    if (t.group !== undefined && groupNames && !groupNames.has(t.group)) {
      issues.push({ path: [...path, 'group'], message: `group "${t.group}" is not defined in groups` });
    }
    const targetLevel: Level = { label: `targets[${index}]`, path, settings: t, invalid: target.invalid };
    // A group that does not exist (or is not readable) hides every setting it might have given.
    const group: Level | undefined = target.invalid.has('group')
      ? { label: 'its group', path: [], settings: {}, invalid: 'all' }
      : t.group === undefined
        ? undefined
        : (groups.get(t.group) ?? { label: `group "${t.group}"`, path: [], settings: {}, invalid: 'all' });
    const chain = group ? [targetLevel, group, defaultsLevel] : [targetLevel, defaultsLevel];
    checkTimeout(chain, issues);

    const { address, port } = t;
    const families = firstSetting(chain, 'families');
    if (address?.family != null && families !== UNKNOWN && families && !families.value.includes(address.family)) {
      const from = families.level === targetLevel ? '' : ` (from ${families.level.label})`;
      issues.push({
        path: [...path, t.families ? 'families' : 'address'],
        message: `${address.address} is an IP${address.family} address, but families is [${families.value.join(', ')}]${from}`,
      });
    }
    if (address?.family != null && port !== undefined && matcher && !matcher(address.address, port)) {
      issues.push({ path, message: `${hostPort(address.address, address.family, port)} is outside allow` });
    }

    const slo = resolveSlo(chain, issues);
    if (!complete || t.name === undefined || address === undefined || port === undefined) return;
    const intervalMs = knownSetting(chain, 'interval') ?? DEFAULT_INTERVAL_MS;
    targets.push({
      name: t.name,
      address: address.address,
      port,
      probes: unique(knownSetting(chain, 'probes') ?? [ProbeKind.syn, ProbeKind.connect]),
      // A literal has one family: listing the other would schedule probes that cannot run.
      families:
        address.family === null
          ? unique(knownSetting(chain, 'families') ?? [AddressFamily.v4, AddressFamily.v6])
          : [address.family],
      intervalMs,
      failingIntervalMs:
        knownSetting(chain, 'failing_interval') ?? Math.max(MIN_FAILING_INTERVAL_MS, Math.round(intervalMs / 5)),
      timeoutMs: knownSetting(chain, 'timeout') ?? Math.min(DEFAULT_TIMEOUT_MS, intervalMs),
      regions: unique(knownSetting(chain, 'regions') ?? regions ?? []),
      group: t.group ?? null,
      labels: { ...(t.group === undefined ? undefined : groups.get(t.group)?.labels), ...t.labels },
      slo: slo ?? null,
    });
  });

  // Names as written (firstIndex), so the check holds even when another part of the file is invalid.
  rawAgents.forEach((raw, index) => {
    const served = isRecord(raw) && Array.isArray(raw.targets) ? raw.targets : [];
    served.forEach((target, j) => {
      if (typeof target === 'string' && Array.isArray(root.targets) && !firstIndex.has(target)) {
        issues.push({ path: ['agents', index, 'targets', j], message: `target "${target}" is not in targets` });
      }
    });
  });

  const redisUrl = redisFromEnv(context.env, envIssues) ?? fileRedis ?? DEFAULT_REDIS_URL;
  // On a cluster, BullMQ's scripts and synack's own touch several keys at once: they must share a
  // slot, which only a hash tag in the prefix ensures.
  if (redisUrl.startsWith('redis-cluster') && !/\{[^}]+\}/.test(prefix ?? '')) {
    issues.push({
      path: [prefix === undefined ? 'redis' : 'prefix'],
      message: `a Redis Cluster needs a hash-tagged prefix, e.g. prefix: "{${(prefix ?? 'synack').replace(/[{}]/g, '')}}"`,
    });
  }
  if (!complete || issues.length > 0 || envIssues.length > 0 || regions === undefined || allow === undefined) {
    return { issues, envIssues, config: undefined };
  }
  const control: Record<string, ControlTarget> = {};
  if (runner.value.control) control['*'] = toControl(runner.value.control);
  for (const [region, each] of Object.entries(runner.value.controls ?? {})) control[region] = toControl(each);
  const config: SynackConfig = {
    file: context.file,
    redisUrl,
    prefix: prefix ?? 'synack',
    regions,
    allow,
    targets,
    runner: {
      concurrency: runner.value.concurrency ?? 256,
      maxProbesPerSecondPerTarget: runner.value.max_probes_per_second_per_target ?? 5,
      control,
    },
    collector: {
      historyPerSeries: collector.value.history_per_series ?? 20,
      listen: collector.value.listen ?? '127.0.0.1:8470',
    },
    agents,
    signing: { publicKeys, privateKeyFile: signing.value.private_key_file ?? null },
    alerts,
    api: { tokens },
    slack: {
      signingSecret: envSlackSecret ? new Secret(envSlackSecret) : null,
      signingSecretFile: slack.value.signing_secret_file ?? null,
      responseUrlHosts: unique(slack.value.response_url_hosts ?? []),
    },
    onDemand: onDemandOf(onDemand.value),
  };
  return { issues, envIssues, config };
}

const DEFAULT_SLO_WINDOW_MS = 30 * 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** The SRE workbook's alerts for a 30-day objective. */
const DEFAULT_BURN_ALERTS: SloConfig['burnAlerts'] = [
  { severity: 'page', longMs: HOUR_MS, shortMs: 5 * MINUTE_MS, factor: 14.4 },
  { severity: 'page', longMs: 6 * HOUR_MS, shortMs: 30 * MINUTE_MS, factor: 6 },
  { severity: 'ticket', longMs: 72 * HOUR_MS, shortMs: 6 * HOUR_MS, factor: 1 },
];

/**
 * A target's SLO: the `slo:` of defaults, its group and itself merged field by field, the nearest
 * winning. A target has one when an objective is set somewhere on its chain (so `defaults` can
 * hold a threshold and window for the targets that opt in); it then needs a threshold too.
 */
function resolveSlo(chain: readonly Level[], issues: PathIssue[]): SloConfig | undefined {
  const levels = chain.filter((level) => level.invalid !== 'all' && level.settings.slo !== undefined);
  const merged = Object.assign({}, ...levels.map((level) => level.settings.slo).reverse()) as NonNullable<
    RawSettings['slo']
  >;
  if (merged.objective === undefined) return undefined;
  if (merged.threshold === undefined) {
    const where = levels.find((level) => level.settings.slo?.objective !== undefined) ?? levels[0];
    issues.push({
      path: [...(where?.path ?? []), 'slo', 'threshold'],
      message: 'required with an objective: the time within which a handshake counts as good, e.g. 500ms',
    });
    return undefined;
  }
  return {
    objective: merged.objective,
    windowMs: merged.window ?? DEFAULT_SLO_WINDOW_MS,
    thresholdMs: merged.threshold,
    burnAlerts:
      merged.burn_alerts?.map((a) => ({ severity: a.severity, longMs: a.long, shortMs: a.short, factor: a.factor })) ??
      DEFAULT_BURN_ALERTS,
  };
}

/** On-demand rate limits when the config sets none. */
export const DEFAULT_RATES = {
  perUser: { count: 10, perMs: 60_000 },
  perChannel: { count: 30, perMs: 60_000 },
  perTarget: { count: 20, perMs: 60_000 },
} satisfies OnDemandConfig['rateLimits'];

function onDemandOf(raw: z.output<typeof onDemandSchema>): OnDemandConfig {
  const rate = (value: RateLimit | undefined, fallback: RateLimit) => value ?? fallback;
  return {
    allow: raw.allow ?? [],
    rateLimits: {
      perUser: rate(raw.rate_limits?.per_user, DEFAULT_RATES.perUser),
      perChannel: rate(raw.rate_limits?.per_channel, DEFAULT_RATES.perChannel),
      perTarget: rate(raw.rate_limits?.per_target, DEFAULT_RATES.perTarget),
    },
  };
}

function toControl(control: RawControl): ControlTarget {
  return {
    address: control.address.address,
    port: control.port,
    intervalMs: control.interval ?? DEFAULT_CONTROL_INTERVAL_MS,
  };
}

function hostPort(address: string, family: AddressFamily, port: number): string {
  return family === AddressFamily.v6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** SYNACK_REDIS_URL, checked like the file's `redis`; empty counts as unset (as compose files leave it). */
function redisFromEnv(env: ResolveContext['env'], envIssues: EnvIssue[]): string | undefined {
  const text = env.SYNACK_REDIS_URL?.trim();
  if (!text) return undefined;
  const checked = checkRedis(text);
  if (checked.ok) return checked.value;
  envIssues.push({ name: 'SYNACK_REDIS_URL', message: checked.message });
  return undefined;
}
