import { parseConfig } from '@synack/shared/config/parse-config';
import type { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type CollectorReads, createApp } from '../api/create-app.ts';
import type { AuditLog } from '../probes/audit-log.ts';
import type { ProbeService } from '../probes/probe-service.ts';
import { mountSlackRoutes } from './slack-routes.ts';
import { signSlackRequest } from './verify-slack-request.ts';

const reads: CollectorReads = {
  health: async () => ({ redis: true, ingested: 0, rejected: 0 }),
  runners: async () => [],
  targets: async () => [],
  diagnoses: async () => ({ current: [], log: [] }),
  attempts: async () => [],
};

describe('the Slack endpoint without a signing secret', () => {
  it('is off, and says how to turn it on, before reading anything', async () => {
    const parsed = parseConfig('regions: [a]\nallow: [{ cidr: 10.0.0.0/8, ports: 443 }]\ntargets: []\n', 's.yaml', {});
    if (!parsed.ok) throw new Error('config');
    const app = createApp(reads, pino({ level: 'silent' }));
    const untouched = new Proxy({}, { get: () => expect.unreachable('nothing is read when the command is off') });
    mountSlackRoutes(app, {
      config: () => parsed.config,
      secret: () => null,
      redis: untouched as Redis | Cluster,
      probes: untouched as ProbeService,
      reads: { targets: async () => [], diagnosis: async () => null, slo: async () => null },
      audit: untouched as AuditLog,
      logger: pino({ level: 'silent' }),
    });
    const response = await app.request('/slack/commands', { method: 'POST', body: 'text=help' });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: {
        code: 'SYNACK_ERR_SLACK_OFF',
        message: 'the Slack command is off: set SYNACK_SLACK_SIGNING_SECRET or slack.signing_secret_file',
      },
    });
  });
});

describe('the Slack endpoint with a store that does not answer', () => {
  it('still answers in time, saying so; a bad signature is still a 401', async () => {
    const parsed = parseConfig('regions: [a]\nallow: [{ cidr: 10.0.0.0/8, ports: 443 }]\ntargets: []\n', 's.yaml', {});
    if (!parsed.ok) throw new Error('config');
    const app = createApp(reads, pino({ level: 'silent' }));
    // A Redis that accepted the connection and then went quiet: every command pends.
    const stalled = { set: () => new Promise(() => {}) } as unknown as Redis;
    const audit = { record: () => new Promise<void>(() => {}) } as unknown as AuditLog;
    mountSlackRoutes(app, {
      config: () => parsed.config,
      secret: () => 'shh',
      redis: stalled,
      probes: {} as ProbeService,
      reads: { targets: async () => [], diagnosis: async () => null, slo: async () => null },
      audit,
      logger: pino({ level: 'silent' }),
      answerWithinMs: 200,
    });
    const body = 'team_id=T1&user_id=U1&channel_id=C1&text=help';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const started = performance.now();
    const response = await app.request('/slack/commands', {
      method: 'POST',
      headers: {
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signSlackRequest('shh', timestamp, body),
      },
      body,
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { text: string }).text).toMatch(
      /^synack did not answer within Slack’s 3 seconds/,
    );
    const forged = await app.request('/slack/commands', {
      method: 'POST',
      headers: {
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signSlackRequest('nope', timestamp, body),
      },
      body,
    });
    expect(forged.status).toBe(401);
  });
});
