import { parseDurationMs } from '@synack/shared/duration';
import type { Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { z } from 'zod';
import { SERIES_MAX_WINDOW_MS, type TargetSeries } from '../store/read-series.ts';
import { type DashboardAsset, loadDashboardAssets } from './dashboard-assets.ts';

/** What the dashboard reads beyond the API's own routes. */
export type DashboardDeps = {
  /**
   * Every series of `target` over the `windowMs` ending now; the collector passes `readSeries`
   * over its Redis, tests may pass a fake.
   */
  series(target: string, windowMs: number): Promise<TargetSeries>;
  /** The page and its scripts; default `loadDashboardAssets()`, read once when mounted. */
  assets?: Map<string, DashboardAsset>;
};

/** Shortest window `GET /v1/series` accepts. */
export const SERIES_MIN_WINDOW_MS = 5 * 60_000;

const WINDOW_MESSAGE = 'expected a duration from 5m to 31d in m, h or d, such as 1h or 7d';

export const seriesQuery = z.object({
  target: z.string().regex(/^[a-z0-9-]{1,63}$/, 'expected [a-z0-9-], 1 to 63 characters'),
  window: z
    .string()
    .default('1h')
    .transform((text, ctx) => {
      const ms = /^[0-9]+[mhd]$/.test(text) ? parseDurationMs(text) : undefined;
      if (ms === undefined || ms < SERIES_MIN_WINDOW_MS || ms > SERIES_MAX_WINDOW_MS) {
        ctx.addIssue({ code: 'custom', message: WINDOW_MESSAGE });
        return z.NEVER;
      }
      return ms;
    }),
});

// Everything the page loads comes from the collector itself: no inline script or style, no
// remote font or CDN, nothing framed. uPlot styles its elements through the CSSOM, which
// `style-src 'self'` allows.
const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  // The collector speaks plain HTTP; HSTS is for whatever terminates TLS in front of it.
  strictTransportSecurity: false,
});

/**
 * Adds the web dashboard to the collector's app: `GET /dashboard` (the page), its scripts and
 * styles under `/dashboard/assets/`, and `GET /v1/series?target=NAME&window=1h` (the per-bucket
 * success ratio and RTT percentiles its charts draw). The page reads the rest from the API
 * (`/v1/targets`, `/v1/diagnoses`, `/v1/slo`) and refreshes every 10 s. Call after `createApp`,
 * whose error and not-found handlers then apply here too.
 */
export function mountDashboard(app: Hono, deps: DashboardDeps): void {
  const assets = deps.assets ?? loadDashboardAssets();
  const page = assets.get('index.html');
  if (!page) throw new TypeError('dashboard assets have no index.html');
  app.use('/dashboard', pageHeaders);
  app.use('/dashboard/*', pageHeaders);
  app.get('/dashboard', (c) => send(c, page));
  app.get('/dashboard/', (c) => c.redirect('/dashboard', 308));
  app.get('/dashboard/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset || asset === page) return errorJson(c, 404, 'SYNACK_ERR_NOT_FOUND', 'no such asset');
    return send(c, asset);
  });
  app.get('/v1/series', async (c) => {
    const parsed = seriesQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'query';
      return errorJson(c, 400, 'SYNACK_ERR_BAD_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`);
    }
    return c.json(await deps.series(parsed.data.target, parsed.data.window));
  });
}

function send(c: Context, asset: DashboardAsset): Response {
  // Revalidate each time: the files change only with a new collector build, and are small.
  c.header('cache-control', 'no-cache');
  c.header('content-type', asset.contentType);
  return c.body(asset.body);
}

// The same `{ error: { code, message } }` body as the API's one error handler (create-app.ts).
function errorJson(c: Context, status: 400 | 404, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status);
}
