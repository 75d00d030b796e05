import type { Logger } from '@synack/shared/logger';
import type { Cluster, Redis } from 'ioredis';

/** Who asked: a Slack user (in a channel) or an API token (by its name, never its value). */
export type Actor =
  | { via: 'slack'; team: string; user: string; userName: string; channel: string; channelName: string }
  | { via: 'api'; token: string }
  | { via: 'anonymous'; ip: string };

/** One audit entry: who did what to which target, and whether it was allowed. */
export type AuditEntry = {
  atMs: number;
  actor: Actor;
  /** `probe`, `status`, `diagnose`, `slo`, `help`, or `auth_failed`. */
  action: string;
  /** As the requester wrote it. */
  target?: string;
  /** What was probed, once resolved. */
  addresses?: string[];
  regions?: string[];
  decision: 'allowed' | 'refused';
  /** A refusal's stable reason: `not_allowed`, `rate_limited`, `bad_signature`… */
  reason?: string;
  requestId?: string;
  /** Where the request came from (the peer address, or X-Forwarded-For when behind a proxy). */
  ip?: string;
};

const MAX_ENTRIES = 10_000;

/** Which part of the log: what known requesters did, or the refused credentials. */
export type AuditStream = 'requests' | 'auth';

/**
 * The audit log: two capped Redis streams shared by every collector (the last 10,000 entries
 * each, read by `GET /v1/audit`) and a structured log line per entry. Refused credentials go to
 * a stream of their own: anyone can send those, and they must not push out the entries of who
 * probed what (whose authors are rate-limited). Writing never throws into the request: an entry
 * that cannot be stored is still logged.
 */
export class AuditLog {
  private readonly redis: Redis | Cluster;
  private readonly prefix: () => string;
  private readonly logger: Logger;

  constructor(redis: Redis | Cluster, prefix: () => string, logger: Logger) {
    this.redis = redis;
    this.prefix = prefix;
    this.logger = logger;
  }

  async record(entry: AuditEntry): Promise<void> {
    const level = entry.decision === 'allowed' ? 'info' : 'warn';
    this.logger[level]({ audit: entry }, `audit: ${entry.action} ${entry.decision}`);
    try {
      const stream: AuditStream = entry.action === 'auth_failed' ? 'auth' : 'requests';
      await this.redis.xadd(this.key(stream), 'MAXLEN', '~', MAX_ENTRIES, '*', 'entry', JSON.stringify(entry));
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'audit entry not stored');
    }
  }

  /** The latest entries of a stream, newest first. */
  async recent(limit: number, stream: AuditStream = 'requests'): Promise<AuditEntry[]> {
    const rows = await this.redis.xrevrange(this.key(stream), '+', '-', 'COUNT', limit);
    return rows.flatMap(([, fields]) => {
      const text = fields[fields.indexOf('entry') + 1];
      try {
        return text ? [JSON.parse(text) as AuditEntry] : [];
      } catch {
        return [];
      }
    });
  }

  private key(stream: AuditStream): string {
    return stream === 'auth' ? `${this.prefix()}:audit-auth` : `${this.prefix()}:audit`;
  }
}

/** How an actor shows in reports: `slack:T1/U1 (alice)`, `token:ci`. */
export function actorLabel(actor: Actor): string {
  if (actor.via === 'slack') return `slack:${actor.team}/${actor.user}${actor.userName ? ` (${actor.userName})` : ''}`;
  if (actor.via === 'api') return `token:${actor.token}`;
  return `anonymous:${actor.ip}`;
}
