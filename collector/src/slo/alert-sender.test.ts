import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SloReport } from '@synack/shared/wire/slo-report';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertTransition, alertText, slackPayload, webhookPayload } from './alert-message.ts';
import { sendAlert } from './alert-sender.ts';

const HOUR = 3_600_000;
const alert = {
  severity: 'page' as const,
  longMs: HOUR,
  shortMs: 300_000,
  factor: 14.4,
  longBurn: 20,
  shortBurn: 25.5,
  firing: true,
};
const report = {
  target: 'web',
  group: null,
  objective: 0.999,
  windowMs: 30 * 24 * HOUR,
  thresholdMs: 500,
  budgetRemaining: 0.25,
  computedAtMs: 1,
} as SloReport;
const firing: AlertTransition = { report, alert, status: 'firing' };

describe('alert messages', () => {
  it('say what burns, how fast and how much budget is left, and when it resolves', () => {
    expect(alertText(firing)).toBe(
      'FIRING [page] web: handshake SLO 99.9% within 500 ms: the error budget burns 20.0× (1h) and 25.5× (5m), over the 14.4× threshold; budget left 25% of 30d',
    );
    expect(alertText({ ...firing, status: 'resolved' })).toBe(
      'RESOLVED [page] web: handshake SLO 99.9% within 500 ms: the burn rate is back under 14.4× over 1h and 5m',
    );
    expect(slackPayload(firing).text).toMatch(/^:rotating_light: FIRING/);
    expect(webhookPayload(firing)).toMatchObject({
      source: 'synack',
      status: 'firing',
      key: 'web|page|1h/5m',
      factor: 14.4,
    });
  });
});

describe('sendAlert', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function sink(statuses: number[]): Promise<{ url: string; bodies: unknown[] }> {
    const bodies: unknown[] = [];
    const created = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => {
        text += c;
      });
      req.on('end', () => {
        bodies.push(JSON.parse(text));
        res.statusCode = statuses.shift() ?? 200;
        res.end();
      });
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(created.address() as AddressInfo).port}/T000/B000/secret`, bodies };
  }

  it('reads a Slack URL from its environment variable, retries a 5xx, and never logs the URL', async () => {
    const { url, bodies } = await sink([503]);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const result = await sendAlert([{ kind: 'slack', url: null, urlEnv: 'HOOK' }], firing, logger, { HOOK: url });
    expect(result).toEqual({ sent: 1, failed: 0 });
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toEqual(slackPayload(firing));
    expect(lines.join('')).toContain('alert sink refused the alert');
    expect(lines.join('')).not.toContain('secret');
  });

  it('counts a sink whose variable is empty, or that refuses for good, as failed', async () => {
    const { url } = await sink([400]);
    const logger = pino({ level: 'silent' });
    expect(await sendAlert([{ kind: 'slack', url: null, urlEnv: 'NOPE' }], firing, logger, {})).toEqual({
      sent: 0,
      failed: 1,
    });
    expect(await sendAlert([{ kind: 'webhook', url, urlEnv: null }], firing, logger, {})).toEqual({
      sent: 0,
      failed: 1,
    });
  });
});
