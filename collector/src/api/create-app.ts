import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { AgentConfig, ApiTokenConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import type { AgentAuthResult } from '@synack/shared/wire/agent-request-signature';
import { agentSnapshotSchema } from '@synack/shared/wire/agent-snapshot';
import type { RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AgentHttpRequest } from '../agents/agent-auth.ts';
import type { DiagnosisRecord } from '../diagnosis/diagnosis-state.ts';
import type { AuditLog } from '../probes/audit-log.ts';
import { authenticateToken, grants, routeAccess } from './api-auth.ts';
import { agentWaitQuery, attemptsQuery, describeIssue, diagnosesQuery } from './api-schemas.ts';
import type { TargetStatus } from './target-status.ts';

/** What the API reads; the collector passes its Redis-backed implementation, tests a fake. */
export type CollectorReads = {
  health(): Promise<{ redis: boolean; ingested: number; rejected: number }>;
  runners(): Promise<RunnerHeartbeat[]>;
  targets(): Promise<TargetStatus[]>;
  attempts(query: { target: string; region?: string; limit: number }): Promise<AttemptRecord[]>;
  /** Current diagnoses (all targets), or one target's current one and its history. */
  diagnoses(target?: string): Promise<{ current: DiagnosisRecord[]; log: DiagnosisRecord[] }>;
};

/** What a host agent is told to watch: the ports of its targets, and the runners' source addresses. */
export type AgentWatch = { ports: number[]; runners: { address: string; family: 'v4' | 'v6'; regions: string[] }[] };

/** The agent side of the API: who an agent is, where its snapshots go, and its requests. */
export type AgentIntake = {
  /** Checks the request's agent signature (and that it was not seen before). */
  authenticate(request: AgentHttpRequest): Promise<AgentAuthResult>;
  accept(agent: AgentConfig, snapshot: unknown): Promise<AgentWatch>;
  /** Resolves true when the collector wants a snapshot now, false after `timeoutMs`. */
  wait(agent: AgentConfig, timeoutMs: number): Promise<boolean>;
  watch(agent: AgentConfig): Promise<AgentWatch>;
};

/** The HTTP statuses the API answers errors with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 413 | 415 | 422 | 429 | 503;

/** An error the API answers with its status and `{ error: { code, message } }`. */
export class HttpError extends Error {
  readonly status: ErrorStatus;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: ErrorStatus, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Who may use the API: the configured tokens (read at each request, so a new config applies at once). */
export type ApiAccess = {
  tokens: () => readonly ApiTokenConfig[];
  audit?: AuditLog;
};

// Keyed on the request's context, which lives from the first middleware to the handler; the
// Request object does not (a body limit replaces it for a chunked body).
const tokenOfRequest = new WeakMap<Context, ApiTokenConfig>();

/** The API token a request was authenticated with (`null` when the API has no tokens). */
export function tokenOf(c: Context): ApiTokenConfig | null {
  return tokenOfRequest.get(c) ?? null;
}

/**
 * The requester's address as the socket saw it. X-Forwarded-For is not used: any client can
 * write it. Behind a proxy, this is the proxy; the header is recorded apart (`forwardedFor`).
 */
export function clientIp(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * The collector's HTTP API (read-only for now). Every error leaves through one handler as
 * `{ error: { code, message } }`; a bad query names the field. Built by a factory so tests drive it
 * with `app.request()`.
 */
export function createApp(reads: CollectorReads, logger: Logger, agents?: AgentIntake, access?: ApiAccess): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    const needed = routeAccess(c.req.method, c.req.path);
    if (needed.scope === 'public') return next();
    const tokens = access?.tokens() ?? [];
    // With no token configured the read routes stay open (a local collector on 127.0.0.1);
    // probing and the audit log are never open.
    if (tokens.length === 0) {
      if (needed.scope === 'read') return next();
      throw new HttpError(
        403,
        'SYNACK_ERR_FORBIDDEN',
        `no API tokens are configured, so ${needed.scope} routes are off (add api.tokens or SYNACK_API_TOKENS)`,
      );
    }
    const token = authenticateToken(tokens, c.req.header('authorization'));
    if (!token) {
      const ip = clientIp(c);
      logger.warn({ path: c.req.path, ip }, 'API request refused: bad or missing credential');
      // Not awaited: a refusal answers at once, whatever state the store is in.
      void access?.audit?.record({
        atMs: Date.now(),
        actor: { via: 'anonymous', ip },
        action: 'auth_failed',
        target: `${c.req.method} ${c.req.path}`.slice(0, 200),
        decision: 'refused',
        reason: 'bad_token',
        ip,
      });
      throw new HttpError(401, 'SYNACK_ERR_UNAUTHORIZED', 'unauthorized', { 'www-authenticate': 'Bearer' });
    }
    if (!grants(token, needed.scope, needed.alsoAccepted)) {
      logger.warn({ path: c.req.path, tokenName: token.name, needed: needed.scope }, 'API request refused: scope');
      void access?.audit?.record({
        atMs: Date.now(),
        actor: { via: 'api', token: token.name },
        action: 'forbidden',
        target: `${c.req.method} ${c.req.path}`.slice(0, 200),
        decision: 'refused',
        reason: `needs_${needed.scope}`,
        ip: clientIp(c),
      });
      throw new HttpError(403, 'SYNACK_ERR_FORBIDDEN', `token "${token.name}" lacks the ${needed.scope} scope`);
    }
    tokenOfRequest.set(c, token);
    return next();
  });
  if (agents) mountAgentRoutes(app, agents, logger, access?.audit);
  app.get('/healthz', async (c) => {
    const health = await reads.health();
    return c.json({ ok: health.redis, ...health }, health.redis ? 200 : 503);
  });
  app.get('/v1/runners', async (c) => c.json({ runners: await reads.runners() }));
  app.get('/v1/targets', async (c) => c.json({ targets: await reads.targets() }));
  app.get('/v1/attempts', async (c) => {
    const parsed = attemptsQuery.safeParse(c.req.query());
    if (!parsed.success) throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', describeIssue(parsed.error, 'query'));
    return c.json({ attempts: await reads.attempts(parsed.data) });
  });
  app.get('/v1/diagnoses', async (c) => {
    const parsed = diagnosesQuery.safeParse(c.req.query());
    if (!parsed.success) throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', describeIssue(parsed.error, 'query'));
    return c.json(await reads.diagnoses(parsed.data.target));
  });
  app.notFound(() => {
    throw new HttpError(404, 'SYNACK_ERR_NOT_FOUND', 'no such route');
  });
  app.onError((error, c) => {
    if (error instanceof HttpError) {
      for (const [header, value] of Object.entries(error.headers)) c.header(header, value);
      return c.json({ error: { code: error.code, message: error.message } }, error.status);
    }
    logger.error({ err: error.message, path: c.req.path }, 'API error');
    return c.json({ error: { code: 'SYNACK_ERR_INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}

// Agents sign each request with their own Ed25519 key (x-synack-agent, x-synack-timestamp,
// x-synack-signature over the method, path, time and body hash). A failure gets a 401 without
// detail, and is logged for audit with its reason (never the signature).
function mountAgentRoutes(app: Hono, agents: AgentIntake, logger: Logger, audit: AuditLog | undefined): void {
  const who = async (c: Context, body: Uint8Array): Promise<AgentConfig> => {
    const url = new URL(c.req.url);
    const result = await agents.authenticate({
      method: c.req.method,
      pathWithQuery: `${url.pathname}${url.search}`,
      body,
      header: (name) => c.req.header(name),
    });
    if (result.ok) return result.agent;
    const ip = clientIp(c);
    logger.warn(
      { path: c.req.path, ip, agent: result.claimed, reason: result.reason },
      'agent request refused: bad or missing signature',
    );
    // Not awaited: a refusal answers at once, whatever state the store is in.
    void audit?.record({
      atMs: Date.now(),
      actor: { via: 'anonymous', ip },
      action: 'auth_failed',
      target: `${c.req.method} ${c.req.path} agent ${result.claimed ?? '?'}`.slice(0, 200),
      decision: 'refused',
      reason: `agent_${result.reason}`,
      ip,
    });
    throw new HttpError(401, 'SYNACK_ERR_UNAUTHORIZED', 'unauthorized');
  };
  app.post(
    '/v1/agent/snapshots',
    bodyLimit({
      maxSize: 2 * 1024 * 1024,
      onError: () => {
        throw new HttpError(413, 'SYNACK_ERR_TOO_LARGE', 'snapshot larger than 2 MiB');
      },
    }),
    async (c) => {
      // Read raw once: the signature covers these bytes' hash, and the JSON is parsed from them.
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const agent = await who(c, raw);
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
      } catch {
        throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', 'body: expected JSON');
      }
      const parsed = agentSnapshotSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HttpError(
          400,
          'SYNACK_ERR_BAD_REQUEST',
          `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
        );
      }
      if (parsed.data.agentId !== agent.id) {
        throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', `agentId: this credential belongs to "${agent.id}"`);
      }
      return c.json({ watch: await agents.accept(agent, parsed.data) });
    },
  );
  app.get('/v1/agent/wait', async (c) => {
    // A GET carries no body: what was signed is the hash of none.
    const agent = await who(c, new Uint8Array(0));
    const query = agentWaitQuery.safeParse(c.req.query());
    if (!query.success)
      throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', `timeoutMs: ${query.error.issues[0]?.message}`);
    const snapshotWanted = await agents.wait(agent, query.data.timeoutMs);
    return c.json({ snapshotWanted, watch: await agents.watch(agent) });
  });
}
