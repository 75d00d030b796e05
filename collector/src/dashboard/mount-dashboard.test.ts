import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type CollectorReads, createApp } from '../api/create-app.ts';
import type { TargetSeries } from '../store/read-series.ts';
import { loadDashboardAssets } from './dashboard-assets.ts';
import { mountDashboard } from './mount-dashboard.ts';

const reads: CollectorReads = {
  health: async () => ({ redis: true, ingested: 0, rejected: 0 }),
  runners: async () => [],
  targets: async () => [],
  attempts: async () => [],
  diagnoses: async () => ({ current: [], log: [] }),
};

function dashboard() {
  const calls: { target: string; windowMs: number }[] = [];
  const app = createApp(reads, pino({ level: 'silent' }));
  mountDashboard(app, {
    series: async (target, windowMs): Promise<TargetSeries> => {
      calls.push({ target, windowMs });
      return { target, windowMs, stepMs: 60_000, bucketStartMs: [], series: [], computedAtMs: 1 };
    },
  });
  return { app, calls };
}

describe('mountDashboard', () => {
  it('serves the page under a strict Content-Security-Policy, with no inline script', async () => {
    const response = await dashboard().app.request('/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="\/dashboard\/assets\//);
    expect(html).not.toMatch(/\sstyle=|<style/);
  });

  it('serves every asset the page and its modules refer to, with its content type', async () => {
    const { app } = dashboard();
    const assets = loadDashboardAssets();
    const html = new TextDecoder().decode(assets.get('index.html')?.body);
    const referenced = [...html.matchAll(/(?:src|href)="\/dashboard\/assets\/([^"]+)"/g)].map((m) => m[1]);
    for (const [name, asset] of assets) {
      if (!name.endsWith('.js')) continue;
      const source = new TextDecoder().decode(asset.body);
      referenced.push(...[...source.matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]));
    }
    expect(referenced).toEqual(expect.arrayContaining(['uPlot.iife.min.js', 'uPlot.min.css', 'app.js', 'charts.js']));
    const types: Record<string, string> = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
    for (const name of new Set(referenced)) {
      const response = await app.request(`/dashboard/assets/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toContain(types[String(name).split('.').pop() ?? '']);
    }
  });

  it('answers an unknown asset with the API’s 404', async () => {
    const response = await dashboard().app.request('/dashboard/assets/nope.js');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'SYNACK_ERR_NOT_FOUND', message: 'no such asset' } });
  });

  it('reads series over the asked window, 1 h by default', async () => {
    const { app, calls } = dashboard();
    expect((await app.request('/v1/series?target=web')).status).toBe(200);
    expect((await app.request('/v1/series?target=web&window=6h')).status).toBe(200);
    expect((await app.request('/v1/series?target=web&window=30d')).status).toBe(200);
    expect(calls).toEqual([
      { target: 'web', windowMs: 3_600_000 },
      { target: 'web', windowMs: 21_600_000 },
      { target: 'web', windowMs: 2_592_000_000 },
    ]);
  });

  it('refuses a bad query with 400, naming the field', async () => {
    const { app, calls } = dashboard();
    for (const [query, field] of [
      ['target=web&window=2w', 'window'],
      ['target=web&window=1m', 'window'],
      ['target=web&window=32d', 'window'],
      ['target=web&window=1.5h', 'window'],
      ['target=Web', 'target'],
      ['window=1h', 'target'],
    ] as const) {
      const response = await app.request(`/v1/series?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('SYNACK_ERR_BAD_REQUEST');
      expect(body.error.message.startsWith(`${field}: `), body.error.message).toBe(true);
    }
    expect(calls).toEqual([]);
  });
});
