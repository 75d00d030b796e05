import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AuditLog } from '../probes/audit-log.ts';
import type { ProbeService } from '../probes/probe-service.ts';
import { auditQuery, describeIssue, probeBody, probeIdParams, probeStartQuery } from './api-schemas.ts';
import { clientIp, HttpError, tokenOf } from './create-app.ts';

// Past this a request waiting for its probe gets the running report: proxies cut longer requests.
const MAX_WAIT_MS = 60_000;

/**
 * On-demand probes over HTTP, under the same allow-list, rate limits and audit as chat:
 * `POST /v1/probes` (202 with the running report and its `Location`; `?wait=true` answers when
 * it ends), `GET /v1/probes/{id}`, and `GET /v1/audit` (admin).
 */
export function mountProbeRoutes(app: Hono, probes: ProbeService, audit: AuditLog): void {
  app.post(
    '/v1/probes',
    bodyLimit({
      maxSize: 16 * 1024,
      onError: () => {
        throw new HttpError(413, 'SYNACK_ERR_TOO_LARGE', 'body larger than 16 KiB');
      },
    }),
    async (c) => {
      const query = probeStartQuery.safeParse(c.req.query());
      if (!query.success) throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', describeIssue(query.error, 'query'));
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
        throw new HttpError(415, 'SYNACK_ERR_BAD_REQUEST', 'content-type: expected application/json');
      }
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', 'body: expected JSON');
      }
      const body = probeBody.safeParse(raw);
      if (!body.success) throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', describeIssue(body.error, 'body'));
      const token = tokenOf(c);
      // Probing needs a token with the probe scope, so one is always there; never run without one.
      if (!token) throw new HttpError(401, 'SYNACK_ERR_UNAUTHORIZED', 'unauthorized');
      const started = await probes.start({
        target: body.data.target,
        ...(body.data.regions ? { regions: body.data.regions } : {}),
        ...(body.data.sourcePorts ? { sourcePorts: body.data.sourcePorts } : {}),
        actor: { via: 'api', token: token.name },
        ip: clientIp(c),
      });
      if (!started.ok) {
        throw new HttpError(
          started.status,
          `SYNACK_ERR_${started.code.toUpperCase()}`,
          started.field ? `${started.field}: ${started.message}` : started.message,
          started.retryAfterMs ? { 'retry-after': String(Math.ceil(started.retryAfterMs / 1000)) } : {},
        );
      }
      const location = `/v1/probes/${started.report.id}`;
      c.header('location', location);
      const wait = query.data.wait === 'true' || query.data.wait === '1';
      if (!wait) return c.json(started.report, 202);
      let timer: NodeJS.Timeout | undefined;
      const cutoff = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), MAX_WAIT_MS);
      });
      const final = await Promise.race([started.done, cutoff]).finally(() => clearTimeout(timer));
      return final ? c.json(final, 200) : c.json(started.report, 202);
    },
  );
  app.get('/v1/probes/:id', async (c) => {
    const params = probeIdParams.safeParse({ id: c.req.param('id') });
    if (!params.success) throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', describeIssue(params.error, 'id'));
    const report = await probes.get(params.data.id);
    if (!report)
      throw new HttpError(404, 'SYNACK_ERR_NOT_FOUND', `no probe ${params.data.id} (reports are kept a day)`);
    return c.json(report);
  });
  app.get('/v1/audit', async (c) => {
    const query = auditQuery.safeParse(c.req.query());
    if (!query.success) throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', describeIssue(query.error, 'query'));
    return c.json({ entries: await audit.recent(query.data.limit, query.data.stream) });
  });
}
