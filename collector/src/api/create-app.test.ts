import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type CollectorReads, createApp } from './create-app.ts';

const logger = pino({ level: 'silent' });

function app(over: Partial<CollectorReads> = {}) {
  const calls: unknown[] = [];
  const reads: CollectorReads = {
    health: async () => ({ redis: true, ingested: 3, rejected: 1 }),
    runners: async () => [],
    targets: async () => [
      {
        target: 'web',
        region: 'eu-west',
        kind: 'syn',
        lastOutcome: 'synack',
        lastAtMs: 1,
        attempts5m: 10,
        successRatio5m: 0.9,
        rttP50Us: 300,
        rttP99Us: 900,
      },
    ],
    diagnoses: async (target) => ({ current: [], log: target ? [] : [] }),
    attempts: async (query) => {
      calls.push(query);
      return [];
    },
    ...over,
  };
  return { app: createApp(reads, logger), calls };
}

describe('collector API', () => {
  it('reports health, 503 when Redis is away', async () => {
    expect(await (await app().app.request('/healthz')).json()).toEqual({
      ok: true,
      redis: true,
      ingested: 3,
      rejected: 1,
    });
    const down = app({ health: async () => ({ redis: false, ingested: 0, rejected: 0 }) });
    expect((await down.app.request('/healthz')).status).toBe(503);
  });

  it('serves target status rows', async () => {
    const body = (await (await app().app.request('/v1/targets')).json()) as { targets: unknown[] };
    expect(body.targets).toHaveLength(1);
  });

  it('validates the attempts query and names the bad field', async () => {
    const { app: a, calls } = app();
    expect((await a.request('/v1/attempts?target=web&region=eu-west&limit=5')).status).toBe(200);
    expect(calls).toEqual([{ target: 'web', region: 'eu-west', limit: 5 }]);
    const bad = await a.request('/v1/attempts?target=web&limit=0');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: { code: 'SYNACK_ERR_BAD_REQUEST', message: expect.stringMatching(/^limit: /) },
    });
    const missing = await a.request('/v1/attempts');
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/^target: /);
  });

  it('serves diagnoses and checks the target name', async () => {
    expect(await (await app().app.request('/v1/diagnoses?target=web')).json()).toEqual({ current: [], log: [] });
    expect((await app().app.request('/v1/diagnoses?target=Bad!')).status).toBe(400);
  });

  it('answers unknown routes and internal errors with the one error shape', async () => {
    expect(await (await app().app.request('/nope')).json()).toEqual({
      error: { code: 'SYNACK_ERR_NOT_FOUND', message: 'no such route' },
    });
    const broken = app({
      targets: async () => {
        throw new Error('redis exploded with secret=hunter2');
      },
    });
    const response = await broken.app.request('/v1/targets');
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('hunter2');
  });
});
