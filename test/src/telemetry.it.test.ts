import { execFile, spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { sendAlert } from '@synack/collector/slo/alert-sender';
import { SloService } from '@synack/collector/slo/slo-service';
import { type IngestInput, ingestBatch } from '@synack/collector/store/ingest-script';
import { probeOnDemand } from '@synack/scheduler/on-demand-probe';
import type { SynackConfig, TargetConfig } from '@synack/shared/config/synack-config';
import { jobTargetOf } from '@synack/shared/wire/probe-job';
import { onDemandQueueName } from '@synack/shared/wire/queue-names';
import type { SloReport } from '@synack/shared/wire/slo-report';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './support/otlp-receiver.ts';
import { closedPort, listener, silent, startPipeline, testConfig } from './support/pipeline.ts';
import { redisForFile } from './support/redis-for-file.ts';
import { synackArgv } from './support/synack-cli.ts';
import { testSigning } from './support/test-signing.ts';
import { waitForAsync } from './support/wait-for.ts';

const fixture = redisForFile();

/** A webhook that records what it is sent. */
async function webhook(): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// One line of the Prometheus text format: a comment, or `name{labels} value`.
const PROM_LINE =
  /^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?[0-9.e+-]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (NaN|\+Inf|-Inf))$/;

describe('traces, metrics and SLOs from a running pipeline', () => {
  let receiver: OtlpReceiver;
  const stops: (() => Promise<void>)[] = [];
  let api: Awaited<ReturnType<typeof startPipeline>>;
  let hook: Awaited<ReturnType<typeof webhook>>;
  let config: SynackConfig;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    hook = await webhook();
    const open = await listener();
    stops.push(() => new Promise((resolve) => open.server.close(() => resolve())));
    const closed = await closedPort();
    config = testConfig(
      `regions: [a, b]
allow: [{ cidr: 127.0.0.0/8, ports: "1-65535" }]
defaults:
  interval: 1s
  timeout: 1s
  probes: [connect]
  slo:
    objective: 99%
    threshold: 500ms
    burn_alerts: [{ severity: page, long: 5m, short: 1m, factor: 2 }]
alerts: [{ kind: webhook, url: "${hook.url}" }]
targets:
  - { name: open, address: 127.0.0.1, port: ${open.port} }
  - { name: closed, address: 127.0.0.1, port: ${closed} }
`,
      fixture.server.url,
    );
    api = await startPipeline(
      config,
      [
        ['a', 'runner-a'],
        ['b', 'runner-b'],
      ],
      stops,
      {
        otlpEndpoint: receiver.url,
        successSampleRatio: 1,
        diagnosisWaitMs: 5000,
        sloRefreshMs: 500,
        otlpMetricsIntervalMs: 500,
      },
    );
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await receiver?.close();
    await hook?.close();
  });

  it('exports each attempt as a span with the semantic-convention and synack attributes, failures with their diagnosis', async () => {
    const [failed] = await receiver.waitForSpans(
      (s) => s.attributes['synack.target'] === 'closed' && s.attributes['synack.diagnosis.verdict'] !== undefined,
      30_000,
    );
    expect(failed).toMatchObject({
      name: 'tcp connect',
      kind: 'client',
      parentSpanId: '',
      status: { code: 2 },
      attributes: {
        'server.address': '127.0.0.1',
        'server.port': expect.any(Number),
        'network.peer.address': '127.0.0.1',
        'network.local.address': '127.0.0.1',
        'network.type': 'ipv4',
        'network.transport': 'tcp',
        'synthetic.type': 'test',
        'synack.probe.kind': 'connect',
        'synack.outcome': 'refused',
        'error.type': 'connection_refused',
      },
      resource: { 'service.name': 'synack-collector' },
    });
    expect(['a', 'b']).toContain(failed?.attributes['synack.region']);
    // The verdict the collector named for the target, with its evidence in brief.
    const { current } = (await (await fetch(`${api.handle.url}/v1/diagnoses?target=closed`)).json()) as {
      current: { verdict: string }[];
    };
    expect(failed?.attributes['synack.diagnosis.verdict']).toBe(current[0]?.verdict);
    expect(String(failed?.attributes['synack.diagnosis.summary'])).toMatch(/^\w+ \(v4 from [ab,]+\): /);
    expect(failed?.events.map((e) => e.name)).toContain('connect() called');
    // The runner's own start time, not the collector's clock at export.
    const start = Number((failed?.startTimeUnixNano ?? 0n) / 1_000_000n);
    expect(Date.now() - start).toBeLessThan(60_000);
    expect(failed?.endTimeUnixNano).toBeGreaterThan(failed?.startTimeUnixNano ?? 0n);
    const [ok] = await receiver.waitForSpans((s) => s.attributes['synack.target'] === 'open', 10_000);
    expect(ok?.status.code).toBe(0);
    expect(ok?.attributes['synack.rtt_us']).toEqual(expect.any(Number));
    expect(ok?.events.map((e) => e.name)).toEqual(['connect() called', 'established']);
  });

  it('makes an on-demand probe across regions one trace, with a child span per source port', async () => {
    const redis = new Redis(fixture.server.url);
    const queues: Queue[] = [];
    try {
      const result = await probeOnDemand(
        {
          redis,
          prefix: config.prefix,
          signer: testSigning().signer,
          queueFor: (region) => {
            const queue = new Queue(onDemandQueueName(region), { connection: redis, prefix: config.prefix });
            queues.push(queue);
            return queue;
          },
        },
        { targets: [{ ...jobTargetOf(config.targets[0] as TargetConfig), sourcePorts: 3 }], regions: ['a', 'b'] },
      );
      expect(result.missing).toEqual([]);
      const [root] = await receiver.waitForSpans(
        (s) => s.name === 'synack probe' && s.attributes['synack.request.id'] === result.requestId,
        15_000,
      );
      const trace = receiver.spans().filter((s) => s.traceId === root?.traceId);
      const spreads = trace.filter((s) => s.name === 'tcp connect spread');
      expect(spreads.map((s) => s.attributes['synack.region']).sort()).toEqual(['a', 'b']);
      for (const spread of spreads) {
        expect(spread.parentSpanId).toBe(root?.spanId);
        const ports = trace.filter((s) => s.parentSpanId === spread.spanId);
        expect(ports).toHaveLength(3);
        expect(new Set(ports.map((p) => p.attributes['network.local.port'])).size).toBe(3);
      }
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      redis.disconnect();
    }
  });

  it('serves /metrics in clean Prometheus text with bounded labels', async () => {
    await waitForAsync(
      async () =>
        (await (await fetch(`${api.handle.url}/metrics`)).text()).includes('synack_slo_error_budget_remaining'),
      15_000,
      'SLO gauges on /metrics',
    );
    const response = await fetch(`${api.handle.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const lines = text.split('\n').filter(Boolean);
    expect(lines.filter((l) => !PROM_LINE.test(l))).toEqual([]);
    // Prometheus's own linter (scripts/test installs promtool) finds nothing to say.
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.error).toBeUndefined();
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
    expect(text).toMatch(/synack_attempts_total\{[^}]*target="closed"[^}]*outcome="refused"[^}]*\} [1-9]/);
    expect(text).toMatch(/synack_handshake_duration_seconds_bucket\{(?=[^}]*kind="connect")(?=[^}]*region="a")/);
    expect(text).toMatch(/synack_runner_up\{[^}]*region="a"[^}]*\} 1/);
    expect(text).toMatch(/synack_schedule_lag_seconds_count\{region="b"\} [1-9]/);
    expect(text).toMatch(/synack_slo_good_total\{[^}]*target="open"/);
    expect(text).toMatch(/synack_slo_error_budget_remaining\{target="closed"\} -/);
    expect(text).toMatch(/synack_slo_burn_rate\{target="closed",window="1m"\} (99\.99|100)/);
    expect(text).toMatch(/synack_diagnosis\{[^}]*target="closed"[^}]*verdict="[a-z_]+"/);
    // No attempt ids, addresses or source ports in any label.
    expect(text).not.toMatch(/attempt_id|127\.0\.0\.1|source_port/);
  });

  it('pushes the same metrics over OTLP', async () => {
    const [attempts] = await receiver.waitForMetrics(
      (m) => m.name === 'synack.attempts' && m.type === 'sum' && m.dataPoints.length > 0,
      10_000,
    );
    expect(attempts?.resource['service.name']).toBe('synack-collector');
    const [budget] = await receiver.waitForMetrics((m) => m.name === 'synack.slo.error_budget_remaining', 10_000);
    expect(budget?.type).toBe('gauge');
  });

  it('reports SLOs over the API, and alerts once when the budget burns', async () => {
    const body = (await (await fetch(`${api.handle.url}/v1/slo`)).json()) as { slos: SloReport[] };
    const closed = body.slos.find((s) => s.target === 'closed');
    expect(closed).toMatchObject({ objective: 0.99, thresholdMs: 500, overall: { good: 0 } });
    expect(Object.keys(closed?.byRegion ?? {}).sort()).toEqual(['a', 'b']);
    const open = (await (await fetch(`${api.handle.url}/v1/slo/open?window=1h`)).json()) as SloReport;
    expect(open.windowMs).toBe(3_600_000);
    expect(open.overall.ratio).toBe(1);
    expect((await fetch(`${api.handle.url}/v1/slo/nope`)).status).toBe(404);
    expect((await fetch(`${api.handle.url}/v1/slo?window=40d`)).status).toBe(400);
    await waitForAsync(async () => hook.bodies.some((b) => b.target === 'closed'), 15_000, 'the webhook alert');
    const firing = hook.bodies.filter((b) => b.target === 'closed' && b.status === 'firing');
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({ severity: 'page', factor: 2, objective: 0.99 });
    expect(hook.bodies.some((b) => b.target === 'open')).toBe(false);
    const rules = await (await fetch(`${api.handle.url}/v1/exports/prometheus-rules.yaml`)).text();
    expect(rules).toContain('synack_slo_good_total{target="closed"}');
    const openslo = await (await fetch(`${api.handle.url}/v1/exports/openslo.yaml`)).text();
    expect(openslo).toContain('kind: SLO');
  });

  it('serves the dashboard and its series from the same collector', async () => {
    const page = await fetch(`${api.handle.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script');
    const series = (await (await fetch(`${api.handle.url}/v1/series?target=open&window=1h`)).json()) as {
      series: { region: string; attempts: number[] }[];
    };
    expect(series.series.map((s) => s.region).sort()).toEqual(['a', 'b']);
    expect(series.series.every((s) => s.attempts.some((n) => n > 0))).toBe(true);
  });

  it('prints the SLO report and exports from the command line', async () => {
    const run = async (...args: string[]) => {
      const [command, ...rest] = synackArgv(...args);
      return (await promisify(execFile)(command as string, rest)).stdout;
    };
    const table = await run('slo', 'report', '--collector', api.handle.url, '--window', '1h');
    expect(table.split('\n')[0]).toMatch(/^target\s+region\s+objective\s+window\s+within\s+SLI/);
    expect(table).toMatch(/^closed\s+all\s+99%\s+1h\s+500 ms\s+0%/m);
    expect(table).toMatch(/PAGE 5m\/1m/);
    const json = JSON.parse(await run('slo', 'report', '--collector', api.handle.url, '--format', 'json')) as {
      slos: SloReport[];
    };
    expect(json.slos.map((s) => s.target).sort()).toEqual(['closed', 'open']);
    expect(await run('slo', 'report', '--collector', api.handle.url, '--format', 'markdown')).toMatch(/^\| target \|/);
    expect(await run('slo', 'export', '--collector', api.handle.url, '--format', 'prometheus')).toContain('groups:');
    const [node, ...badArgs] = synackArgv('slo', 'report', '--collector', api.handle.url, '--window', '90d');
    const bad = await promisify(execFile)(node as string, badArgs)
      .then(() => null)
      .catch((error: { code?: number; stderr?: string }) => error);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('window: expected a duration') });
  });
});

describe('with the trace backend down', () => {
  it('keeps ingesting, counts the spans it could not export, and recovers when the backend is back', async () => {
    const receiver = await startOtlpReceiver();
    const stops: (() => Promise<void>)[] = [];
    try {
      receiver.setDown(true);
      const closed = await closedPort();
      const config = testConfig(
        `regions: [a]
allow: [{ cidr: 127.0.0.0/8, ports: "1-65535" }]
defaults: { interval: 1s, timeout: 1s, probes: [connect] }
targets:
  - { name: closed, address: 127.0.0.1, port: ${closed} }
`,
        fixture.server.url,
      );
      const api = await startPipeline(config, [['a', 'runner-a']], stops, {
        otlpEndpoint: receiver.url,
        diagnosisWaitMs: 500,
      });
      const metric = /otel_sdk_processor_span_processed_total\{[^}]*error_type="[^"]+"[^}]*\} ([0-9]+)/;
      await waitForAsync(
        async () => metric.test(await (await fetch(`${api.handle.url}/metrics`)).text()),
        30_000,
        'failed span exports counted',
      );
      expect(receiver.spans()).toHaveLength(0);
      expect(receiver.refused).toBeGreaterThan(0);
      const ingested = (await (await fetch(`${api.handle.url}/healthz`)).json()) as { ingested: number };
      expect(ingested.ingested).toBeGreaterThan(0);
      receiver.setDown(false);
      await receiver.waitForSpans((s) => s.attributes['synack.target'] === 'closed', 30_000);
      // Stopping with spans still queued is bounded, whatever the backend does.
      receiver.setDown(true);
      const started = Date.now();
      for (const stop of stops.reverse()) await stop();
      stops.length = 0;
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      for (const stop of stops.reverse()) await stop();
      await receiver.close();
    }
  });
});

describe('SLO alerts (real Redis)', () => {
  it('fire once, are not repeated while they fire, and send a resolve notice when the burn stops', async () => {
    const hook = await webhook();
    try {
      const t0 = Date.UTC(2026, 10, 23, 12, 0, 0);
      let now = t0;
      const config = testConfig(
        `regions: [a]
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
alerts: [{ kind: webhook, url: "${hook.url}" }]
targets:
  - name: web
    address: 192.0.2.1
    port: 443
    slo: { objective: 99%, threshold: 200ms, burn_alerts: [{ severity: page, long: 10m, short: 2m, factor: 10 }] }
`,
        fixture.server.url,
      );
      const attempt = (atMs: number, good: boolean, n: number): IngestInput => ({
        id: `${atMs}-${n}`,
        target: 'web',
        region: 'a',
        kind: 'connect',
        startedAtMs: atMs,
        success: good,
        rttUs: good ? 1000 : null,
        outcome: good ? 'established' : 'timeout',
        recordJson: '{}',
        slo: { thresholdMs: 200, state: good ? 'good' : 'bad' },
      });
      const service = (): SloService =>
        new SloService({
          config: () => config,
          redis: fixture.redis,
          logger: silent,
          notify: async (t) => (await sendAlert(config.alerts, t, silent)).sent > 0,
          now: () => now,
        });
      // Two collectors evaluate the same alert: one notice between them.
      const [one, two] = [service(), service()];
      await ingestBatch(
        fixture.redis,
        config.prefix,
        Array.from({ length: 50 }, (_, i) => attempt(t0 - 1000 - i, i % 2 === 0, i)),
        now,
      );
      const sent = [...(await one.refresh()), ...(await two.refresh())];
      expect(sent.map((t) => t.status)).toEqual(['firing']);
      expect(await one.refresh()).toEqual([]);
      // Ten minutes of good attempts later: both windows are clean again.
      now = t0 + 11 * 60_000;
      await ingestBatch(
        fixture.redis,
        config.prefix,
        Array.from({ length: 20 }, (_, i) => attempt(now - 1000 - i, true, 100 + i)),
        now,
      );
      expect((await two.refresh()).map((t) => t.status)).toEqual(['resolved']);
      expect(await one.refresh()).toEqual([]);
      expect(hook.bodies.map((b) => b.status)).toEqual(['firing', 'resolved']);
      expect(hook.bodies[0]).toMatchObject({
        target: 'web',
        severity: 'page',
        longBurn: expect.closeTo(50, 6),
        shortBurn: expect.closeTo(50, 6),
      });
    } finally {
      await hook.close();
    }
  });

  it('try an undelivered notice again, and forget an alert 15 minutes after it leaves the config', async () => {
    const t0 = Date.UTC(2026, 10, 24, 12, 0, 0);
    let now = t0;
    const yaml = (slo: boolean) => `regions: [a]
allow: [{ cidr: 192.0.2.0/24, ports: 443 }]
targets:
  - name: web
    address: 192.0.2.1
    port: 443
${slo ? '    slo: { objective: 99%, threshold: 200ms, burn_alerts: [{ severity: page, long: 10m, short: 2m, factor: 10 }] }' : ''}
`;
    let config = testConfig(yaml(true), fixture.server.url);
    const prefix = config.prefix;
    const deliveries: boolean[] = [];
    let deliver = false;
    const service = new SloService({
      config: () => config,
      redis: fixture.redis,
      logger: silent,
      notify: async () => {
        deliveries.push(deliver);
        return deliver;
      },
      now: () => now,
    });
    const bad = Array.from(
      { length: 20 },
      (_, i): IngestInput => ({
        id: `u-${i}`,
        target: 'web',
        region: 'a',
        kind: 'connect',
        startedAtMs: t0 - 1000 - i,
        success: false,
        rttUs: null,
        outcome: 'timeout',
        recordJson: '{}',
        slo: { thresholdMs: 200, state: 'bad' },
      }),
    );
    await ingestBatch(fixture.redis, prefix, bad, now);
    // The sink is down: nothing counts as sent, and the state is put back.
    expect(await service.refresh()).toEqual([]);
    expect(await fixture.redis.hgetall(`${prefix}:slo-alerts`)).toEqual({});
    deliver = true;
    expect((await service.refresh()).map((t) => t.status)).toEqual(['firing']);
    expect(deliveries).toEqual([false, true]);
    // The SLO leaves the config: its state stays for 15 minutes, then goes.
    config = { ...testConfig(yaml(false), fixture.server.url), prefix };
    await service.refresh();
    expect(Object.keys(await fixture.redis.hgetall(`${prefix}:slo-alerts`))).toEqual(['web|page|10m/2m']);
    now += 16 * 60_000;
    await service.refresh();
    expect(await fixture.redis.hgetall(`${prefix}:slo-alerts`)).toEqual({});
  });
});
