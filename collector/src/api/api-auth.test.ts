import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { ApiTokenConfig } from '@synack/shared/config/synack-config';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type CollectorReads, createApp } from './create-app.ts';
import { mountOpenApi } from './openapi-document.ts';

const reads: CollectorReads = {
  health: async () => ({ redis: true, ingested: 0, rejected: 0 }),
  runners: async () => [],
  targets: async () => [],
  diagnoses: async () => ({ current: [], log: [] }),
  attempts: async () => [],
};

const tokens = {
  reader: 'snk_reader_0123456789abcdef',
  prober: 'snk_prober_0123456789abcdef',
  admin: 'snk_admin_0123456789abcdef0',
};
const token = (name: keyof typeof tokens, scopes: ApiTokenConfig['scopes']): ApiTokenConfig => ({
  name,
  sha256: createHash('sha256').update(tokens[name]).digest('hex'),
  scopes,
  from: 'file',
});
const configured = [token('reader', ['read']), token('prober', ['probe']), token('admin', ['admin'])];

function build(list: readonly ApiTokenConfig[]) {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const app = createApp(reads, logger, undefined, { tokens: () => list });
  app.get('/v1/audit', (c) => c.json({ entries: [] }));
  app.post('/v1/probes', (c) => c.json({ started: true }, 202));
  app.get('/v1/probes/:id', (c) => c.json({ id: c.req.param('id') }));
  mountOpenApi(app);
  return { app, lines };
}

const bearer = (name: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[name]}` });

describe('API tokens and scopes', () => {
  it('with no token configured: reads open, probing and the audit log off', async () => {
    const { app } = build([]);
    expect((await app.request('/v1/targets')).status).toBe(200);
    const probe = await app.request('/v1/probes', { method: 'POST' });
    expect(probe.status).toBe(403);
    expect(await probe.json()).toEqual({
      error: {
        code: 'SYNACK_ERR_FORBIDDEN',
        message: 'no API tokens are configured, so probe routes are off (add api.tokens or SYNACK_API_TOKENS)',
      },
    });
    expect((await app.request('/v1/audit')).status).toBe(403);
  });

  it('with tokens: 401 without a valid one, 403 without the scope, and admin may do everything', async () => {
    const { app, lines } = build(configured);
    const status = async (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      (await app.request(path, { method, headers })).status;
    expect(await status('/v1/targets')).toBe(401);
    expect(await status('/v1/targets', { authorization: 'Bearer snk_not_a_real_token_at_all' })).toBe(401);
    expect(await status('/v1/targets', { authorization: `Basic ${tokens.reader}` })).toBe(401);
    expect(await status('/v1/targets', bearer('reader'))).toBe(200);
    expect(await status('/metrics', {})).toBe(401);
    expect(await status('/v1/targets', bearer('prober'))).toBe(403);
    expect(await status('/v1/probes', bearer('reader'), 'POST')).toBe(403);
    expect(await status('/v1/probes', bearer('prober'), 'POST')).toBe(202);
    expect(await status('/v1/probes/abc', bearer('prober'))).toBe(200);
    expect(await status('/v1/probes/abc', bearer('reader'))).toBe(200);
    expect(await status('/v1/audit', bearer('reader'))).toBe(403);
    expect(await status('/v1/audit', bearer('prober'))).toBe(403);
    for (const path of ['/v1/targets', '/v1/audit', '/v1/probes/abc'])
      expect(await status(path, bearer('admin'))).toBe(200);
    expect(await status('/v1/probes', bearer('admin'), 'POST')).toBe(202);
    // Public: health, the OpenAPI document, and what authenticates its own way.
    expect(await status('/healthz')).toBe(200);
    expect(await status('/openapi.json')).toBe(200);
    const refused = await app.request('/v1/targets');
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.json()).toEqual({ error: { code: 'SYNACK_ERR_UNAUTHORIZED', message: 'unauthorized' } });
    // Refusals are logged, never with the credential.
    expect(lines.some((line) => line.includes('bad or missing credential'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/snk_/);
  });
});
