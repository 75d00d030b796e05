import { createHash, randomBytes } from 'node:crypto';
import { signSlackRequest } from '@synack/collector/chat/verify-slack-request';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { Secret } from '@synack/shared/secret';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector, testConfig } from './support/pipeline.ts';
import { redisForFile } from './support/redis-for-file.ts';

// Thousands of generated bad requests against a real collector (real Redis, no runner, so no
// probe can start): every answer is a deliberate one, with the API's error body or a Slack
// message, never a 500, and the collector still answers afterwards.
const fixture = redisForFile();

const token = `snk_${randomBytes(24).toString('base64url')}`;
const secret = randomBytes(16).toString('hex');

describe('API and Slack endpoint under generated bad input', () => {
  let api: Awaited<ReturnType<typeof collector>>;
  let slackConfig: SynackConfig;

  beforeAll(async () => {
    const config = testConfig(
      `regions: [a, b]
allow: [{ cidr: 127.0.0.0/8, ports: "1-65535" }]
api: { tokens: [{ name: fuzz, sha256: ${createHash('sha256').update(token).digest('hex')}, scopes: [admin] }] }
slack: { response_url_hosts: [127.0.0.1:9] }
on_demand: { allow: [{ cidr: 127.0.0.0/8, ports: 9 }], rate_limits: { per_user: 100000/1m, per_target: 100000/1m, per_channel: 100000/1m } }
targets: [{ name: web, address: 127.0.0.1, port: 9 }]
`,
      fixture.server.url,
    );
    slackConfig = { ...config, slack: { ...config.slack, signingSecret: new Secret(secret) } };
    api = await collector(slackConfig);
  });

  afterAll(async () => {
    await api?.stop();
  });

  /** An answer the API meant: an allowed status, its error body, and a 400 that names the field. */
  const expectDeliberate = async (response: Response, allowed: number[], slack = false) => {
    expect(allowed).toContain(response.status);
    const body = (await response.json()) as { error?: { code: string; message: string }; text?: string };
    if (response.status >= 400) {
      expect(body.error?.code).toMatch(/^SYNACK_ERR_[A-Z_]+$/);
      expect(body.error?.message.length).toBeGreaterThan(0);
      if (response.status === 400) expect(body.error?.message).toMatch(/^[A-Za-z_][\w.]*: \S/);
    } else if (slack) expect(body.text?.length).toBeGreaterThan(0);
  };

  it('POST /v1/probes: 4xx/503 with a named field for any body', async () => {
    const jsonish = fc.oneof(
      fc.json(),
      fc.string({ maxLength: 200 }),
      fc
        .record(
          {
            target: fc.oneof(
              fc.string({ maxLength: 80 }),
              fc.integer(),
              fc.constantFrom(
                'web',
                '127.0.0.1:9',
                '[::ffff:127.0.0.1]:9',
                '0177.0.0.1:9',
                '2130706433:9',
                'localhost:9',
                '10.0.0.1:9',
              ),
            ),
            regions: fc.oneof(
              fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }),
              fc.string(),
              fc.constant(['a']),
            ),
            sourcePorts: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double(), fc.string()),
            extra: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
    );
    await fc.assert(
      fc.asyncProperty(jsonish, async (body) => {
        const response = await fetch(`${api.handle.url}/v1/probes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        });
        await expectDeliberate(response, [400, 403, 413, 422, 503]);
      }),
      { numRuns: 1500 },
    );
  });

  it('GET routes: any query string gets its answer or a 400 naming the field', async () => {
    const path = fc.constantFrom(
      '/v1/attempts',
      '/v1/diagnoses',
      '/v1/slo',
      '/v1/series',
      '/v1/audit',
      '/v1/probes/x',
      '/v1/slo/web',
    );
    const query = fc.dictionary(
      fc.constantFrom('target', 'region', 'limit', 'window', 'burndown', 'x'),
      fc.string({ maxLength: 30 }),
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(path, query, async (route, params) => {
        const response = await fetch(`${api.handle.url}${route}?${new URLSearchParams(params)}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await expectDeliberate(response, [200, 400, 404]);
      }),
      { numRuns: 1000 },
    );
  });

  it('/slack/commands: unsigned and badly signed requests get 401; signed nonsense gets a helpful message', async () => {
    const form = fc.dictionary(
      fc.constantFrom('team_id', 'user_id', 'channel_id', 'text', 'command', 'response_url', 'user_name', 'zz'),
      fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.constantFrom(
          'probe web',
          'probe 127.0.0.1:9 a',
          'status web',
          'slo web',
          'diagnose nosuch',
          'probe',
          'help',
          'http://127.0.0.1:9/x',
        ),
      ),
      { maxKeys: 8 },
    );
    await fc.assert(
      fc.asyncProperty(
        form,
        fc.constantFrom('valid', 'forged', 'stale', 'none', 'garbage'),
        fc.string({ maxLength: 30 }),
        async (fields, how, junk) => {
          const body = new URLSearchParams({ ...fields, nonce: randomBytes(8).toString('hex') }).toString();
          const now = Math.floor(Date.now() / 1000);
          const timestamp = String(how === 'stale' ? now - 400 : now);
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
          if (how !== 'none') {
            headers['x-slack-request-timestamp'] = how === 'garbage' ? junk : timestamp;
            headers['x-slack-signature'] =
              how === 'garbage' ? junk : signSlackRequest(how === 'forged' ? `${secret}x` : secret, timestamp, body);
          }
          const response = await fetch(`${api.handle.url}/slack/commands`, { method: 'POST', headers, body });
          if (how === 'valid') {
            // Signed and new (each body carries a fresh nonce): always an answer, never a 401.
            await expectDeliberate(response, [200], true);
          } else {
            expect(response.status).toBe(401);
            expect(await response.json()).toEqual({
              error: { code: 'SYNACK_ERR_UNAUTHORIZED', message: 'unauthorized' },
            });
          }
        },
      ),
      { numRuns: 1500 },
    );
    const health = await fetch(`${api.handle.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('keeps the token of a request whose body comes chunked', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"target":"web"'));
        controller.enqueue(new TextEncoder().encode('}'));
        controller.close();
      },
    });
    const response = await fetch(`${api.handle.url}/v1/probes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    // No runner: refused, but as the token's request, in the audit log under its name.
    expect(response.status).toBe(503);
    const { entries } = (await (
      await fetch(`${api.handle.url}/v1/audit?limit=5`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { entries: { actor: { via: string; token?: string }; reason?: string }[] };
    expect(entries[0]).toMatchObject({ actor: { via: 'api', token: 'fuzz' }, reason: 'no_runner' });
  });

  it('refuses a signature replayed to another collector', async () => {
    const second = await collector(slackConfig);
    try {
      const body = new URLSearchParams({ team_id: 'T1', user_id: 'U1', channel_id: 'C1', text: 'help' }).toString();
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signSlackRequest(secret, timestamp, body),
      };
      expect((await fetch(`${api.handle.url}/slack/commands`, { method: 'POST', headers, body })).status).toBe(200);
      expect((await fetch(`${second.handle.url}/slack/commands`, { method: 'POST', headers, body })).status).toBe(401);
    } finally {
      await second.stop();
    }
  });
});
