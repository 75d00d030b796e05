import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { Logger } from '@synack/shared/logger';
import type { RunnerHeartbeat } from '@synack/shared/wire/runner-heartbeat';
import { Hono } from 'hono';
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

const name = z.string().regex(/^[a-z0-9-]{1,63}$/, 'expected [a-z0-9-], 1 to 63 characters');
const attemptsQuery = z.object({
  target: name,
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'expected [a-z0-9-], 1 to 32 characters')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

class HttpError extends Error {
  readonly status: 400 | 404;
  readonly code: string;
  constructor(status: 400 | 404, code: string, message: string) {
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
export function createApp(reads: CollectorReads, logger: Logger): Hono {
  const app = new Hono();
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
