import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { AgentConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { agentSnapshotSchema } from '@synack/shared/wire/agent-snapshot';
import type { RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { DiagnosisRecord } from '../diagnosis/diagnosis-state.ts';
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
  authenticate(authorization: string | undefined): AgentConfig | null;
  accept(agent: AgentConfig, snapshot: unknown): Promise<AgentWatch>;
  /** Resolves true when the collector wants a snapshot now, false after `timeoutMs`. */
  wait(agent: AgentConfig, timeoutMs: number): Promise<boolean>;
  watch(agent: AgentConfig): Promise<AgentWatch>;
};

const name = z.string().regex(/^[a-z0-9-]{1,63}$/, 'expected [a-z0-9-], 1 to 63 characters');
const attemptsQuery = z.object({
  target: name,
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'expected [a-z0-9-], 1 to 32 characters')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

/** An error the API answers with its status and `{ error: { code, message } }`. */
export class HttpError extends Error {
  readonly status: 400 | 401 | 404 | 413;
  readonly code: string;
  constructor(status: 400 | 401 | 404 | 413, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The collector's HTTP API (read-only for now). Every error leaves through one handler as
 * `{ error: { code, message } }`; a bad query names the field. Built by a factory so tests drive it
 * with `app.request()`.
 */
export function createApp(reads: CollectorReads, logger: Logger, agents?: AgentIntake): Hono {
  const app = new Hono();
  if (agents) mountAgentRoutes(app, agents, logger);
  app.get('/healthz', async (c) => {
    const health = await reads.health();
    return c.json({ ok: health.redis, ...health }, health.redis ? 200 : 503);
  });
  app.get('/v1/runners', async (c) => c.json({ runners: await reads.runners() }));
  app.get('/v1/targets', async (c) => c.json({ targets: await reads.targets() }));
  app.get('/v1/attempts', async (c) => {
    const parsed = attemptsQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'query';
      throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`);
    }
    return c.json({ attempts: await reads.attempts(parsed.data) });
  });
  app.get('/v1/diagnoses', async (c) => {
    const target = c.req.query('target');
    if (target !== undefined) {
      const parsed = name.safeParse(target);
      if (!parsed.success)
        throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', `target: ${parsed.error.issues[0]?.message}`);
    }
    return c.json(await reads.diagnoses(target));
  });
  app.notFound(() => {
    throw new HttpError(404, 'SYNACK_ERR_NOT_FOUND', 'no such route');
  });
  app.onError((error, c) => {
    if (error instanceof HttpError)
      return c.json({ error: { code: error.code, message: error.message } }, error.status);
    logger.error({ err: error.message, path: c.req.path }, 'API error');
    return c.json({ error: { code: 'SYNACK_ERR_INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}

const waitQuery = z.object({ timeoutMs: z.coerce.number().int().min(0).max(30_000).default(25_000) });

// Agents authenticate with their own bearer token. A failure gets a 401 without detail, and is
// logged for audit (never the token).
function mountAgentRoutes(app: Hono, agents: AgentIntake, logger: Logger): void {
  const who = (authorization: string | undefined, path: string, ip: string | undefined): AgentConfig => {
    const agent = agents.authenticate(authorization);
    if (!agent) {
      logger.warn({ path, ip }, 'agent request refused: bad or missing credential');
      throw new HttpError(401, 'SYNACK_ERR_UNAUTHORIZED', 'unauthorized');
    }
    return agent;
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
      const agent = who(c.req.header('authorization'), c.req.path, c.req.header('x-forwarded-for'));
      let body: unknown;
      try {
        body = await c.req.json();
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
    const agent = who(c.req.header('authorization'), c.req.path, c.req.header('x-forwarded-for'));
    const query = waitQuery.safeParse(c.req.query());
    if (!query.success)
      throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', `timeoutMs: ${query.error.issues[0]?.message}`);
    const snapshotWanted = await agents.wait(agent, query.data.timeoutMs);
    return c.json({ snapshotWanted, watch: await agents.watch(agent) });
  });
}
