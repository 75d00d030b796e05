import { parseDurationMs } from '@synack/shared/duration';
import type { SloReport, SloReportList } from '@synack/shared/wire/slo-report';
import type { Hono } from 'hono';
import { z } from 'zod';
import { opensloYaml } from '../slo/openslo-export.ts';
import { prometheusRulesYaml } from '../slo/prometheus-rules.ts';
import type { SloSpec } from '../slo/slo-spec.ts';
import { HttpError } from './create-app.ts';

/** What the SLO routes read: the SLO service, the configured SLOs and the metrics text. */
export type SloRoutesDeps = {
  reports(query: { target?: string; windowMs?: number }): Promise<SloReport[]>;
  specs(): SloSpec[];
  prometheusText(): Promise<string>;
  now?: () => number;
};

// The SLO rings keep 31 days of hours.
const MAX_WINDOW_MS = 31 * 86_400_000;
export const sloWindowQuery = z.object({
  window: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      const ms = /^[0-9]+[mhd]$/.test(text) ? parseDurationMs(text) : undefined;
      if (ms === undefined || ms < 60_000 || ms > MAX_WINDOW_MS) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration from 1m to 31d such as 30d or 6h, got "${text}"`,
        });
        return z.NEVER;
      }
      return ms;
    }),
});
const targetName = z.string().regex(/^[a-z0-9-]{1,63}$/, 'expected [a-z0-9-], 1 to 63 characters');

function bad(message: string): never {
  throw new HttpError(400, 'SYNACK_ERR_BAD_REQUEST', message);
}

function windowOf(query: Record<string, string>): number | undefined {
  const parsed = sloWindowQuery.safeParse(query);
  if (!parsed.success) bad(`window: ${parsed.error.issues[0]?.message}`);
  return parsed.data.window;
}

/**
 * SLO reports, their exports and the metrics: `GET /v1/slo[?window=30d][&burndown=1]`, `GET /v1/slo/{target}`,
 * `GET /v1/exports/openslo.yaml`, `GET /v1/exports/prometheus-rules.yaml` and `GET /metrics`
 * (Prometheus text).
 */
export function mountSloRoutes(app: Hono, deps: SloRoutesDeps): void {
  const now = deps.now ?? Date.now;
  app.get('/v1/slo', async (c) => {
    const windowMs = windowOf(c.req.query());
    const reports = await deps.reports(windowMs === undefined ? {} : { windowMs });
    // The hourly burn-down is most of a report (720 points over 30 days): the list leaves it out
    // unless asked (`?burndown=1`); `/v1/slo/{target}` always has it.
    const withBurnDown = c.req.query('burndown') === '1';
    const body: SloReportList = {
      slos: withBurnDown ? reports : reports.map((r) => ({ ...r, burnDown: [] })),
      computedAtMs: now(),
    };
    return c.json(body);
  });
  app.get('/v1/slo/:target', async (c) => {
    const target = targetName.safeParse(c.req.param('target'));
    if (!target.success) bad(`target: ${target.error.issues[0]?.message}`);
    const windowMs = windowOf(c.req.query());
    const [report] = await deps.reports({ target: target.data, ...(windowMs === undefined ? {} : { windowMs }) });
    if (!report) throw new HttpError(404, 'SYNACK_ERR_NOT_FOUND', `no SLO for target "${target.data}"`);
    return c.json(report);
  });
  const yaml = (render: (specs: SloSpec[]) => string) => async () => {
    try {
      return new Response(render(deps.specs()), { headers: { 'content-type': 'application/yaml; charset=utf-8' } });
    } catch (error) {
      throw new HttpError(400, 'SYNACK_ERR_EXPORT', (error as Error).message);
    }
  };
  app.get('/v1/exports/openslo.yaml', yaml(opensloYaml));
  app.get('/v1/exports/prometheus-rules.yaml', yaml(prometheusRulesYaml));
  app.get(
    '/metrics',
    async () =>
      new Response(await deps.prometheusText(), {
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      }),
  );
}
