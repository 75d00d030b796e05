import { z } from 'zod';

const nameRule = 'expected [a-z0-9-], 1 to 63 characters';
/** A target name in a path or query. */
export const targetNameSchema = z.string().regex(/^[a-z0-9-]{1,63}$/, nameRule);
const regionSchema = z.string().regex(/^[a-z0-9-]{1,32}$/, 'expected [a-z0-9-], 1 to 32 characters');

/** `GET /v1/attempts`. */
export const attemptsQuery = z.object({
  target: targetNameSchema,
  region: regionSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

/** `GET /v1/diagnoses`. */
export const diagnosesQuery = z.object({ target: targetNameSchema.optional() });

/** `GET /v1/agent/wait`. */
export const agentWaitQuery = z.object({ timeoutMs: z.coerce.number().int().min(0).max(30_000).default(25_000) });

/** `POST /v1/probes`: what to probe, as chat takes it. */
export const probeBody = z.strictObject({
  /** A configured target's name, or `host:port` (`[v6]:port`). */
  target: z.string().min(1).max(300),
  /** Default: the target's regions (every region for an address). */
  regions: z.array(regionSchema).min(1).max(64).optional(),
  /** Attempts per kind and address, each from its own source port. */
  sourcePorts: z.number().int().min(1).max(64).optional(),
});

/** `POST /v1/probes?wait=true`: answer when the probe ends instead of at once. */
export const probeStartQuery = z.object({ wait: z.enum(['true', 'false', '1', '0']).optional() });

/** `GET /v1/probes/{id}`. */
export const probeIdParams = z.object({ id: z.uuid('expected a probe id (a UUID)') });

/** `GET /v1/audit`. */
export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** `requests` (who asked for what) or `auth` (refused credentials). */
  stream: z.enum(['requests', 'auth']).default('requests'),
});

/**
 * The first problem of a failed parse as `field: message`, for a 400 that names the field.
 * `where` names the part of the request when the problem is not in a field (`body`, `query`).
 */
export function describeIssue(error: z.ZodError, where: string): string {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || where;
  return `${field}: ${issue?.message ?? 'invalid'}`;
}

const slackId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a Slack id');

/**
 * `POST /slack/commands`: the form Slack sends (application/x-www-form-urlencoded). Only the
 * fields synack uses are read; Slack adds others (`token`, `api_app_id`, …), which pass.
 */
export const slackCommandForm = z.object({
  team_id: slackId,
  user_id: slackId,
  channel_id: slackId,
  user_name: z.string().max(128).optional(),
  channel_name: z.string().max(128).optional(),
  command: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, 'expected a slash command like /synack')
    .optional(),
  text: z.string().max(500, 'longer than 500 characters').default(''),
  response_url: z.string().max(2048).optional(),
});
