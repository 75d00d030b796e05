import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import { type ApiAccess, createApp } from '@synack/collector/api/create-app';
import { redisReads } from '@synack/collector/api/redis-reads';
import { mountSloRoutes } from '@synack/collector/api/slo-routes';
import { mountDashboard } from '@synack/collector/dashboard/mount-dashboard';
import type { DiagnosisRecord } from '@synack/collector/diagnosis/diagnosis-state';
import { DiagnosisStore } from '@synack/collector/diagnosis/diagnosis-store';
import { SloService } from '@synack/collector/slo/slo-service';
import { type IngestInput, ingestBatch } from '@synack/collector/store/ingest-script';
import { readSeries } from '@synack/collector/store/read-series';
import { parseConfig } from '@synack/shared/config/parse-config';
import type { SloReport, SloReportList } from '@synack/shared/wire/slo-report';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canvasInk, launchChromium, requireChromiumOrSkip } from './support/chromium.ts';
import { redisForFile } from './support/redis-for-file.ts';

// The collector's dashboard in headless Chromium, against the real API over a real Redis holding
// an hour of ingested attempts: the grid, the charts (checked pixel by pixel), the diagnosis
// timeline, the SLO burn-down, and that the page asks nothing of any other origin.
const fixture = redisForFile();
const SCREENSHOT = fileURLToPath(new URL('../../.reports/dashboard.png', import.meta.url));
const MINUTE = 60_000;
// charts.js: the colours of the first two series (api: eu-west, us-east), and the budget-spent line.
const SERIES_COLORS = ['#2563eb', '#ea580c'];
const SPENT_RED = '#dc2626';

type Attempt = { outcome: 'synack' | 'rst' | 'timeout'; rttUs: number | null };
type Profile = (ageMs: number, random: () => number) => Attempt;

const answered = (rttUs: number): Attempt => ({ outcome: 'synack', rttUs: Math.round(rttUs) });
const TIMEOUT: Attempt = { outcome: 'timeout', rttUs: null };

// Per target and region: what an attempt `ageMs` old saw. web had its port closed 45 to 41 minutes
// ago in eu-west and an RTT spike 40 to 30 minutes ago from us-east; api has been unreachable from
// us-east for the last 12 minutes.
const PROFILES: Record<string, Record<string, Profile>> = {
  web: {
    'eu-west': (age, random) => {
      if (age >= 41 * MINUTE && age < 45 * MINUTE) return { outcome: 'rst', rttUs: 900 };
      return random() < 0.005 ? TIMEOUT : answered(800 + random() ** 2 * 3500);
    },
    'us-east': (age, random) => {
      if (random() < 0.03) return TIMEOUT;
      if (age >= 30 * MINUTE && age < 40 * MINUTE) return answered(250_000 + random() * 500_000);
      return answered(70_000 + random() * 40_000);
    },
  },
  api: {
    'eu-west': (_age, random) => (random() < 0.01 ? TIMEOUT : answered(2000 + random() * 12_000)),
    'us-east': (age, random) => (age < 12 * MINUTE ? TIMEOUT : answered(80_000 + random() * 70_000)),
  },
};
const ADDRESSES: Record<string, string> = { web: '203.0.113.10', api: '198.51.100.20' };

// mulberry32: a seeded generator, so every run draws the same RTTs.
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function attempts(nowMs: number, fromAgeMs: number, toAgeMs: number, profiles = PROFILES): IngestInput[] {
  const random = seeded(42);
  const inputs: IngestInput[] = [];
  for (const [target, regions] of Object.entries(profiles)) {
    for (const [region, profile] of Object.entries(regions)) {
      for (let age = fromAgeMs; age >= toAgeMs; age -= 15_000) {
        const startedAtMs = nowMs - age;
        const { outcome, rttUs } = profile(age, random);
        const id = randomUUID();
        const record = {
          v: 1,
          id,
          kind: 'syn',
          target: { name: target, address: ADDRESSES[target], port: 443, family: 'v4' },
          source: {
            address: region === 'eu-west' ? '192.0.2.10' : '192.0.2.20',
            port: 40_000 + (inputs.length % 20_000),
          },
          startedAt: new Date(startedAtMs).toISOString(),
          synSentUs: outcome === 'timeout' ? [0, 1_000_000, 3_000_000] : [0],
          answerUs: rttUs,
          rttUs,
          retransmits: outcome === 'timeout' ? 2 : 0,
          outcome,
          answeredSyn: outcome === 'timeout' ? null : 0,
        };
        inputs.push({
          id,
          target,
          region,
          kind: 'syn',
          startedAtMs,
          success: outcome === 'synack',
          rttUs,
          outcome,
          recordJson: JSON.stringify(record),
          // As the collector counts them for SLO_YAML's threshold of 200 ms.
          slo: { thresholdMs: 200, state: outcome === 'synack' && (rttUs ?? 0) <= 200_000 ? 'good' : 'bad' },
        });
      }
    }
  }
  return inputs;
}

// As the diagnosis service saves them, oldest first: web's closed port, opened and resolved; api's
// failure, opened as unknown and sharpened once an agent snapshot arrived.
function diagnoses(nowMs: number): DiagnosisRecord[] {
  const webOpened = nowMs - 45 * MINUTE;
  const web: DiagnosisRecord = {
    target: 'web',
    id: `web-${webOpened}`,
    verdict: 'port_closed',
    scope: { families: ['v4'], regions: ['eu-west'] },
    evidence: [
      { source: 'probes', fact: 'eu-west answered with RST', value: 16 },
      { source: 'agent:srv-web listeners', fact: 'listener on 443', value: false },
    ],
    next: 'Nothing listens on 203.0.113.10:443: check that the web service is running.',
    status: 'open',
    openedAtMs: webOpened,
    updatedAtMs: webOpened,
    resolvedAtMs: null,
  };
  const webResolvedAt = nowMs - 41 * MINUTE;
  const apiOpened = nowMs - 11 * MINUTE;
  const apiUnknown: DiagnosisRecord = {
    target: 'api',
    id: `api-${apiOpened}`,
    verdict: 'unknown',
    scope: { families: ['v4'], regions: ['us-east'] },
    evidence: [{ source: 'probes', fact: 'us-east SYNs unanswered', value: 8 }],
    next: 'Waiting for a snapshot from the server’s agent.',
    status: 'open',
    openedAtMs: apiOpened,
    updatedAtMs: apiOpened,
    resolvedAtMs: null,
  };
  return [
    web,
    { ...web, status: 'resolved', updatedAtMs: webResolvedAt, resolvedAtMs: webResolvedAt },
    apiUnknown,
    {
      ...apiUnknown,
      verdict: 'network_path_drop',
      updatedAtMs: nowMs - 6 * MINUTE,
      evidence: [
        { source: 'probes', fact: 'us-east SYNs unanswered', value: 40 },
        { source: 'probes', fact: 'eu-west handshakes', value: 'answered' },
        { source: 'agent:srv-api counters', fact: 'TcpExtListenDrops', value: 0 },
        { source: 'agent:srv-api counters', fact: 'IpInReceives from us-east', value: 0 },
      ],
      next: 'The SYNs from us-east never reach 198.51.100.20: check the routers and cloud firewalls on that path.',
    },
  ];
}

function sloReport(target: string, objective: number, days: number, nowMs: number, spentTo: number): SloReport {
  const hours = days * 24;
  const burnDown = Array.from({ length: hours }, (_, i) => {
    // Spends steadily, then faster over the last fifth of the window, ending at `spentTo`.
    const f = i / (hours - 1);
    const spent = f < 0.8 ? 0.5 * f : 0.4 + 3 * (f - 0.8);
    return { atMs: nowMs - (hours - 1 - i) * 3_600_000, budgetRemaining: 1 - (1 - spentTo) * spent };
  });
  const budgetRemaining = burnDown.at(-1)?.budgetRemaining ?? null;
  const firing = budgetRemaining !== null && budgetRemaining < 0;
  return {
    target,
    group: null,
    objective,
    windowMs: days * 86_400_000,
    thresholdMs: 200,
    overall: { good: 99_412, total: 99_530, excluded: 12, ratio: 99_412 / 99_530, coverage: 1 },
    byRegion: {},
    budgetRemaining,
    burnRates: [
      { windowMs: 300_000, rate: firing ? 16.2 : 0.4 },
      { windowMs: 3_600_000, rate: firing ? 14.9 : 0.7 },
    ],
    alerts: [
      { severity: 'page', longMs: 3_600_000, shortMs: 300_000, factor: 14.4, longBurn: 14.9, shortBurn: 16.2, firing },
      {
        severity: 'ticket',
        longMs: 21_600_000,
        shortMs: 1_800_000,
        factor: 6,
        longBurn: 2.1,
        shortBurn: 3,
        firing: false,
      },
    ],
    burnDown,
    computedAtMs: nowMs,
  };
}

describe.skipIf(requireChromiumOrSkip())('collector dashboard in Chromium', () => {
  let browser: Browser;
  let server: ServerType;
  let origin: string;
  let prefix: string;

  /** The collector's API over the fixture's Redis, as the collector builds it. */
  const apiOver = (store: DiagnosisStore, access?: ApiAccess) =>
    createApp(
      redisReads({
        redis: fixture.redis,
        prefix: () => prefix,
        counters: () => ({ ingested: 0, rejected: 0 }),
        historyPerSeries: () => 50,
        diagnoses: store,
      }),
      pino({ level: 'silent' }),
      undefined,
      access,
    );

  beforeAll(async () => {
    const { redis } = fixture;
    prefix = `t${randomBytes(4).toString('hex')}`;
    const nowMs = Date.now();
    await ingestBatch(redis, prefix, attempts(nowMs, 60 * MINUTE, 0), nowMs);
    const store = new DiagnosisStore(redis, () => prefix);
    for (const record of diagnoses(nowMs)) await store.save(record);
    // Built as the collector builds it: the API over Redis, then the dashboard on the same app.
    const app = apiOver(store);
    // The SLO routes over the same Redis, for targets whose SLO spans the hour of data.
    const parsed = parseConfig(
      `prefix: ${prefix}
regions: [eu-west, us-east]
allow: [{ cidr: 0.0.0.0/0, ports: 443 }]
defaults: { probes: [syn], slo: { objective: 99%, window: 3h, threshold: 200ms } }
targets:
  - { name: api, address: ${ADDRESSES.api}, port: 443 }
  - { name: web, address: ${ADDRESSES.web}, port: 443 }
`,
      'dashboard-test.yaml',
      {},
    );
    if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('; '));
    const config = parsed.config;
    const slo = new SloService({ config: () => config, redis, logger: pino({ level: 'silent' }) });
    mountSloRoutes(app, { reports: (query) => slo.reports(query), specs: () => [], prometheusText: async () => '' });
    mountDashboard(app, { series: (target, windowMs) => readSeries(redis, prefix, target, windowMs, Date.now()) });
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
      server.once('error', reject);
    });
    origin = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** A fresh page that lets only the collector's origin through and records CSP violations and errors. */
  async function openPage(): Promise<{ context: BrowserContext; page: Page; blocked: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const blocked: string[] = [];
    const errors: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) errors.push(`CSP: ${message.text()}`);
    });
    return { context, page, blocked, errors };
  }

  async function chartInk(page: Page, selector: string) {
    // uPlot marks nothing when it draws; the page sets data-points once a chart got its data.
    await page.locator(`${selector}[data-points]:not([data-points="0"]) canvas`).waitFor();
    return canvasInk(page, selector, [...SERIES_COLORS, SPENT_RED]);
  }

  it('shows the grid, the selected target’s charts and diagnoses, and refreshes, loading nothing from elsewhere', async () => {
    const { context, page, blocked, errors } = await openPage();
    await page.clock.install();
    const response = await page.goto(`${origin}/dashboard`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.locator('body[data-state="ready"]').waitFor();

    expect(await page.locator('#grid thead th').allTextContents()).toEqual([
      'Target',
      'eu-west',
      'us-east',
      'Diagnosis',
    ]);
    const rows = await page.locator('#grid tbody tr').all();
    expect(await Promise.all(rows.map((row) => row.getAttribute('data-target')))).toEqual(['api', 'web']);
    const apiUsEast = page.locator('#grid tr[data-target="api"] td[data-region="us-east"]');
    expect(await apiUsEast.getAttribute('data-state')).toBe('failing');
    expect(await apiUsEast.textContent()).toMatch(/timeout.*syn.*network path drop/);
    expect(await page.locator('#grid tr[data-target="api"] td[data-region="eu-west"]').getAttribute('data-state')).toBe(
      'ok',
    );
    expect(await page.locator('#grid tr[data-target="api"] td.diagnosis').textContent()).toContain('network path drop');
    expect(await page.locator('#grid tr[data-target="web"] td.diagnosis').textContent()).toContain('port closed');

    // api sorts first and is selected: its success ratio and RTT charts drew lines in both
    // regions' colours, and its timeline holds both changes, the newest with its evidence open.
    expect(await page.locator('#detail-title').textContent()).toBe('api');
    for (const chart of ['#chart-success', '#chart-latency']) {
      const [ink, ...more] = await chartInk(page, chart);
      expect(more, chart).toEqual([]);
      expect(ink?.width, chart).toBeGreaterThan(400);
      expect(ink?.height, chart).toBeGreaterThan(100);
      for (const color of SERIES_COLORS) expect(ink?.matches[color], `${chart} ${color}`).toBeGreaterThan(100);
    }
    const events = page.locator('#timeline .event');
    expect(await events.count()).toBe(2);
    expect(await events.nth(0).getAttribute('data-verdict')).toBe('network_path_drop');
    expect(await events.nth(0).locator('.event-kind').textContent()).toBe('updated');
    expect(await events.nth(0).locator('table.facts').textContent()).toContain('IpInReceives from us-east');
    expect(await events.nth(1).locator('.event-kind').textContent()).toBe('opened');
    // The SLOs from the same data: api lost us-east for 12 of the last 60 minutes, far over a 1%
    // budget; its card comes first (selected) and draws its burn-down below zero.
    const apiSlo = page.locator('#slos article.slo[data-target="api"]');
    expect(await page.locator('#slos article.slo').count()).toBe(2);
    expect(await apiSlo.locator('dd.bad').textContent()).toMatch(/^-\d/);
    const [burnInk] = await chartInk(page, '#slos .chart[data-target="api"]');
    expect(burnInk?.matches[SERIES_COLORS[0] ?? ''], 'api budget line').toBeGreaterThan(20);
    expect(burnInk?.matches[SPENT_RED], 'api budget-spent line').toBeGreaterThan(50);
    expect(await page.locator('#problem').isHidden()).toBe(true);

    // Selecting web shows its history: the closed port, opened then resolved.
    await page.locator('#grid tr[data-target="web"]').click();
    await page.locator('#detail-title', { hasText: 'web' }).waitFor();
    await page.locator('#timeline .event-resolved[data-verdict="port_closed"]').waitFor();
    expect(await page.locator('#timeline .event').count()).toBe(2);

    // The next refresh (10 s on the page's clock) picks up what was ingested since.
    const nowMs = Date.now();
    await ingestBatch(fixture.redis, prefix, attempts(nowMs, 0, 0, { web: { 'eu-west': () => TIMEOUT } }), nowMs);
    await page.clock.fastForward(10_000);
    await page.locator('#grid tr[data-target="web"] td[data-region="eu-west"][data-state="failing"]').waitFor();

    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('draws each SLO’s burn-down with the budget-spent line, and leaves a screenshot', async () => {
    const { context, page, blocked, errors } = await openPage();
    const nowMs = Date.now();
    // /v1/slo belongs to the SLO module; its reports are fed here so the page's drawing of the
    // wire format is tested whether or not that route is mounted.
    const list: SloReportList = {
      slos: [sloReport('api', 0.99, 7, nowMs, -0.4), sloReport('web', 0.999, 30, nowMs, 0.35)],
      computedAtMs: nowMs,
    };
    // As the API serves them: the list without burn-downs, each target's report with its own.
    await page.route(`${origin}/v1/slo`, (route) =>
      route.fulfill({ json: { ...list, slos: list.slos.map((r) => ({ ...r, burnDown: [] })) } }),
    );
    await page.route(`${origin}/v1/slo/*`, (route) =>
      route.fulfill({ json: list.slos.find((r) => route.request().url().endsWith(`/${r.target}`)) }),
    );
    await page.goto(`${origin}/dashboard`);
    await page.locator('body[data-state="ready"]').waitFor();

    const cards = page.locator('#slos article.slo');
    expect(await cards.count()).toBe(2);
    const api = page.locator('#slos article.slo[data-target="api"]');
    expect(await api.locator('.alert.firing').textContent()).toBe('page firing');
    expect(await api.locator('dd.bad').textContent()).toBe('-40.0%');
    for (const target of ['api', 'web']) {
      const [ink] = await chartInk(page, `#slos .chart[data-target="${target}"]`);
      expect(ink?.width, target).toBeGreaterThan(300);
      expect(ink?.matches[SERIES_COLORS[0] ?? ''], `${target} budget line`).toBeGreaterThan(100);
      expect(ink?.matches[SPENT_RED], `${target} budget-spent line`).toBeGreaterThan(50);
    }

    // Both detail charts drew too, before the picture is taken.
    await chartInk(page, '#chart-success');
    await chartInk(page, '#chart-latency');
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('answers a bad series query with the API’s 400', async () => {
    const response = await fetch(`${origin}/v1/series?target=api&window=2w`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'SYNACK_ERR_BAD_REQUEST', message: expect.stringMatching(/^window: /) },
    });
    const series = (await (await fetch(`${origin}/v1/series?target=api&window=1h`)).json()) as {
      stepMs: number;
      bucketStartMs: number[];
      series: { region: string; attempts: number[]; successRatio: (number | null)[] }[];
    };
    expect(series.stepMs).toBe(MINUTE);
    expect(series.series.map((s) => s.region)).toEqual(['eu-west', 'us-east']);
    // us-east failed every attempt of the last 12 minutes (the newest bucket may be empty when
    // a minute began since the data was written).
    const usEast = series.series[1];
    expect(usEast?.successRatio.filter((r) => r !== null).slice(-10)).toEqual(Array(10).fill(0));
    expect(usEast?.attempts.reduce((a, b) => a + b, 0)).toBe(241);
    // Beyond 3 hours, hour buckets: the 25 hours the last day overlaps.
    const day = (await (await fetch(`${origin}/v1/series?target=api&window=24h`)).json()) as typeof series;
    expect(day.stepMs).toBe(60 * MINUTE);
    expect(day.bucketStartMs).toHaveLength(25);
    expect(day.series[1]?.attempts.reduce((a, b) => a + b, 0)).toBe(241);
  });

  it('asks for an API token when the collector has tokens, and uses it', async () => {
    const { redis } = fixture;
    const token = `snk_${randomBytes(24).toString('base64url')}`;
    const app = apiOver(new DiagnosisStore(redis, () => prefix), {
      tokens: () => [
        { name: 'viewer', sha256: createHash('sha256').update(token).digest('hex'), scopes: ['read'], from: 'file' },
      ],
    });
    mountDashboard(app, { series: (target, windowMs) => readSeries(redis, prefix, target, windowMs, Date.now()) });
    let guarded: ServerType | undefined;
    const port = await new Promise<number>((resolve, reject) => {
      guarded = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
      guarded.once('error', reject);
    });
    const context = await browser.newContext();
    const seen: (string | null)[] = [];
    try {
      const page = await context.newPage();
      page.on('request', (request) => {
        if (request.url().includes('/v1/targets')) seen.push(request.headers().authorization ?? null);
      });
      await page.goto(`http://127.0.0.1:${port}/dashboard`);
      await page.locator('body[data-state="token"]').waitFor();
      expect(await page.locator('#token-why').textContent()).toMatch(/^this collector wants an API token/);
      await page.locator('#token').fill('snk_wrong_token_0123456789');
      await page.locator('#token-form button').click();
      await page.locator('#token-why', { hasText: 'the API token was refused' }).waitFor();
      await page.locator('#token').fill(token);
      await page.locator('#token-form button').click();
      await page.locator('body[data-state="ready"]').waitFor();
      expect(await page.locator('#grid tbody tr').count()).toBeGreaterThan(0);
      expect(await page.locator('#token-form').isHidden()).toBe(true);
      expect(seen).toEqual([null, 'Bearer snk_wrong_token_0123456789', `Bearer ${token}`]);
      // Kept for the tab, never in the address.
      expect(page.url()).not.toContain(token);
    } finally {
      await context.close();
      await new Promise<void>((resolve) => (guarded ? guarded.close(() => resolve()) : resolve()));
    }
  });
});

describe('requireChromiumOrSkip', () => {
  it('fails in CI without Chromium, and skips with the reason elsewhere', () => {
    const missing = { ok: false, why: 'no chromium on PATH' } as const;
    expect(() => requireChromiumOrSkip(missing, { CI: 'true' })).toThrow(/must not skip in CI/);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireChromiumOrSkip(missing, { CI: '' })).toBe(true);
    expect(warn).toHaveBeenCalledWith('skipping browser tests: no chromium on PATH');
    warn.mockRestore();
    expect(requireChromiumOrSkip({ ok: true, executablePath: '/usr/bin/chromium' }, { CI: 'true' })).toBe(false);
  });
});
