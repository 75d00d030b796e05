import type { AddressFamily } from '../address-family.ts';
import type { ProbeKind } from '../probe-outcome.ts';
import type { Secret } from '../secret.ts';
import type { PublicKeyEntry } from '../signing-key.ts';

/** One allow-list rule: what runners may ever probe. */
export type AllowRule = {
  /** Canonical CIDR text, e.g. `10.0.0.0/8` or `2001:db8::/32`. */
  cidr: string;
  /** Inclusive port ranges, e.g. `[[443, 443], [8000, 8100]]`. */
  ports: readonly (readonly [number, number])[];
};

/** A monitored service, after defaults and its group have been applied. */
export type TargetConfig = {
  /** Unique, `[a-z0-9-]`, at most 63 characters. */
  name: string;
  /** An IP literal (canonical text) or a hostname, resolved by runners at probe time. */
  address: string;
  port: number;
  /** Probe kinds to run; default both. */
  probes: readonly ProbeKind[];
  /** Address families to probe when `address` is a hostname; default both. */
  families: readonly AddressFamily[];
  /** Time between probes. Default 30 s, minimum 1 s. */
  intervalMs: number;
  /** While the target fails: interval / 5, at least 1 s (unless set). */
  failingIntervalMs: number;
  /** Per-attempt timeout. Default 3 s; at most the interval. */
  timeoutMs: number;
  /** Regions that probe it; default all. */
  regions: readonly string[];
  /** Group it belongs to, if any. */
  group: string | null;
  /** Free-form labels (`team: web`), merged over its group's. */
  labels: Readonly<Record<string, string>>;
  /** Its connection-establishment SLO, merged from defaults, its group and itself; `null` when none. */
  slo: SloConfig | null;
};

/** A multi-window burn-rate alert (SRE workbook): fires while both windows burn faster than `factor`. */
export type BurnAlertConfig = { severity: 'page' | 'ticket'; longMs: number; shortMs: number; factor: number };

/** A target's SLO: good = handshake completed within `thresholdMs`; `objective` a fraction (0.999). */
export type SloConfig = {
  objective: number;
  /** Rolling window; default 30 days, at most 31. */
  windowMs: number;
  thresholdMs: number;
  /** Default: page at 14.4 over 1h/5m and 6 over 6h/30m, ticket at 1 over 3d/6h. */
  burnAlerts: readonly BurnAlertConfig[];
};

/** Where SLO alerts go. `url` is given in the file, or read from `urlEnv` when sending. */
export type AlertSinkConfig = { kind: 'slack' | 'webhook'; url: string | null; urlEnv: string | null };

/** A host agent the collector accepts snapshots from, and the key its requests are signed with. */
export type AgentConfig = { id: string; publicKey: PublicKeyEntry; targets: readonly string[] };

/**
 * How probe jobs are authenticated (Ed25519). The private key is never held here: the services
 * that sign read it at start-up (`loadJobSigner`), from SYNACK_SIGNING_KEY or `privateKeyFile`.
 */
export type SigningConfig = {
  /**
   * Keys whose signatures runners accept (`ed25519:<base64>`, each with its derived `kid`). Two
   * during a rotation. Empty: runners refuse to start.
   */
  publicKeys: readonly PublicKeyEntry[];
  /** PKCS#8 PEM private key of the scheduler, the collector and `synack probe`; `null` when not set. */
  privateKeyFile: string | null;
};

/** Where a runner checks that it can probe at all (a target known to answer). */
export type ControlTarget = { address: string; port: number; intervalMs: number };

/** What an API token may do. `admin` may do everything. */
export type ApiScope = 'read' | 'probe' | 'admin';

/** A bearer token of the HTTP API, known only by its SHA-256. */
export type ApiTokenConfig = {
  name: string;
  /** Hex SHA-256 of the token. */
  sha256: string;
  scopes: readonly ApiScope[];
  /** Where it was declared: `api.tokens` in the file, or SYNACK_API_TOKENS. */
  from: 'file' | 'environment';
};

/** At most `count` per `perMs`, with bursts up to `count`. */
export type RateLimit = { count: number; perMs: number };

/** On-demand probes from chat and the API: what they may reach besides configured targets, and how often. */
export type OnDemandConfig = {
  /** Addresses and ports beyond the configured targets; empty: configured targets only. */
  allow: readonly AllowRule[];
  rateLimits: {
    /** Per Slack user or API token. Default 10/1m. */
    perUser: RateLimit;
    /** Per Slack channel. Default 30/1m. */
    perChannel: RateLimit;
    /** Per target (a configured name, or the address and port). Default 20/1m. */
    perTarget: RateLimit;
  };
};

/** The Slack slash command. Off unless a signing secret is given. */
export type SlackConfig = {
  /** From SYNACK_SLACK_SIGNING_SECRET; it wins over `signingSecretFile`. */
  signingSecret: Secret | null;
  /** Read when the collector starts. */
  signingSecretFile: string | null;
  /** Hosts (`host` or `host:port`) replies may be posted to besides Slack's own. */
  responseUrlHosts: readonly string[];
};

/** A validated, normalized, frozen configuration. */
export type SynackConfig = {
  /** The file it came from (for messages). */
  file: string;
  /** `redis://…`, `rediss://…`, or `unix:///path/to/redis.sock`; SYNACK_REDIS_URL overrides. */
  redisUrl: string;
  /** Key prefix for every queue and key; use a hash tag (`{synack}`) on Redis Cluster. Default `synack`. */
  prefix: string;
  regions: readonly string[];
  allow: readonly AllowRule[];
  targets: readonly TargetConfig[];
  runner: {
    /** Probes in flight per runner. Default 256. */
    concurrency: number;
    /** Cap on probes per second to one target from one runner. Default 5. */
    maxProbesPerSecondPerTarget: number;
    /** Per region, or the default one under `*`; `{}` when none is configured. */
    control: Readonly<Record<string, ControlTarget>>;
  };
  /** Where SLO alerts are sent; empty when none. */
  alerts: readonly AlertSinkConfig[];
  /** HTTP API tokens, from `api.tokens` and SYNACK_API_TOKENS; none: read routes are open, probing is off. */
  api: { tokens: readonly ApiTokenConfig[] };
  slack: SlackConfig;
  onDemand: OnDemandConfig;
  /** Host agents allowed to report, each with its public key and the targets it serves. */
  agents: readonly AgentConfig[];
  /** Probe-job signing keys; without a `signing:` section, no keys (`synack up` makes its own). */
  signing: SigningConfig;
  collector: {
    /** Attempts kept per target and region (all kinds). Default 20. */
    historyPerSeries: number;
    /** Default `127.0.0.1:8470`. */
    listen: string;
  };
};
