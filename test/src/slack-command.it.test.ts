import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signSlackRequest } from '@synack/collector/chat/verify-slack-request';
import type { ProbeReport } from '@synack/shared/wire/probe-report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './support/otlp-receiver.ts';
import { closedPort, listener } from './support/pipeline.ts';
import { freePort } from './support/redis-server.ts';
import { requireRawOrSkip } from './support/require-raw-or-skip.ts';
import { type ServiceProcess, startService } from './support/service-process.ts';
import { synackArgv } from './support/synack-cli.ts';
import { startTarpit } from './support/tarpit.ts';
import { waitForAsync } from './support/wait-for.ts';

type Posted = {
  atMs: number;
  path: string;
  body: { text: string; blocks?: { type: string; text?: { text: string } }[] };
};

/** A stand-in for Slack's response_url endpoint: records what is posted, and when. */
async function fakeSlack(): Promise<{ server: Server; port: number; posts: Posted[] }> {
  const posts: Posted[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      posts.push({ atMs: Date.now(), path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, posts };
}

const blockText = (post: Posted | undefined) =>
  (post?.body.blocks ?? []).map((b) => b.text?.text ?? JSON.stringify(b)).join('\n');

// The closed target is probed with raw SYNs too, as runners do in production: root (CAP_NET_RAW).
describe.skipIf(requireRawOrSkip())('the /synack slash command and the probe API against `synack up`', () => {
  const secret = randomBytes(24).toString('hex');
  const tokens = {
    prober: `snk_${randomBytes(24).toString('base64url')}`,
    admin: `snk_${randomBytes(24).toString('base64url')}`,
  };
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  let dir: string;
  let up: ServiceProcess;
  let url: string;
  let slack: Awaited<ReturnType<typeof fakeSlack>>;
  let tarpit: Awaited<ReturnType<typeof startTarpit>>;
  let receiver: OtlpReceiver;
  const servers: { close(): unknown }[] = [];

  const sign = (fields: Record<string, string>, at = Math.floor(Date.now() / 1000)) => {
    const body = new URLSearchParams(fields).toString();
    const timestamp = String(at);
    return { body, timestamp, signature: signSlackRequest(secret, timestamp, body) };
  };
  const command = (text: string, over: Record<string, string> = {}) => ({
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C0001',
    channel_name: 'incident',
    user_id: 'U0001',
    user_name: 'alice',
    command: '/synack',
    text,
    response_url: `http://127.0.0.1:${slack.port}/commands/T0001/1/${randomBytes(6).toString('hex')}`,
    trigger_id: '1.2.3',
    ...over,
  });
  const send = (signed: { body: string; timestamp: string; signature: string }, headers: Record<string, string> = {}) =>
    fetch(`${url}/slack/commands`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': signed.timestamp,
        'x-slack-signature': signed.signature,
        ...headers,
      },
      body: signed.body,
    });
  const api = (path: string, token: keyof typeof tokens | null, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: {
        ...(token ? { authorization: `Bearer ${tokens[token]}` } : {}),
        'content-type': 'application/json',
        ...init.headers,
      },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synack-slack-'));
    slack = await fakeSlack();
    tarpit = await startTarpit();
    receiver = await startOtlpReceiver();
    const open = await listener();
    servers.push(open.server, slack.server);
    const closed = await closedPort();
    const redisPort = await freePort();
    await writeFile(join(dir, 'slack-secret'), `${secret}\n`, { mode: 0o600 });
    await writeFile(
      join(dir, 'synack.yaml'),
      `redis: redis://127.0.0.1:${redisPort}
regions: [a, b]
allow:
  - { cidr: 127.0.0.0/8, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
collector: { listen: 127.0.0.1:0 }
api:
  tokens:
    - { name: oncall-bot, sha256: ${sha(tokens.prober)}, scopes: [probe] }
    - { name: ops, sha256: ${sha(tokens.admin)}, scopes: [admin] }
slack:
  signing_secret_file: ${join(dir, 'slack-secret')}
  response_url_hosts: [127.0.0.1:${slack.port}]
on_demand:
  allow: [{ cidr: 127.0.0.0/8, ports: ${open.port} }]
  rate_limits: { per_user: 4/1m }
targets:
  - { name: web, address: 127.0.0.1, port: ${open.port} }
  - { name: closed, address: 127.0.0.1, port: ${closed}, probes: [syn, connect] }
  - { name: slow, address: 127.0.0.1, port: ${tarpit.port}, interval: 1h, timeout: 2s }
`,
    );
    up = startService(
      ['up', '--config', join(dir, 'synack.yaml'), '--data-dir', join(dir, 'redis'), '--log-level', 'info'],
      undefined,
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    );
    await waitForAsync(
      async () => /collector API (http:\/\/\S+?);?\s/.test(up.output()),
      30_000,
      'synack up to print its URL',
    );
    url = (/collector API (http:\/\/[0-9.:]+)/.exec(up.output()) as RegExpExecArray)[1] as string;
    await waitForAsync(
      async () => {
        const body = (await (await api('/v1/diagnoses?target=closed', 'admin')).json()) as {
          current: { verdict: string; status: string }[];
        };
        // With no host agent, an RST cannot tell a closed port from a firewall: `unknown`, with its evidence.
        return body.current.some((d) => d.status === 'open');
      },
      30_000,
      'the closed target to be diagnosed',
    );
  }, 60_000);

  afterAll(async () => {
    const code = await up?.stop();
    tarpit?.stop();
    await receiver?.close();
    for (const server of servers) server.close();
    await rm(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('acknowledges a probe at once, then posts every region’s result with the diagnosis', async () => {
    const before = slack.posts.length;
    const startedMs = Date.now();
    const response = await send(sign(command('probe closed')));
    const ackMs = Date.now();
    expect(response.status).toBe(200);
    expect(ackMs - startedMs).toBeLessThan(3000);
    expect(await response.json()).toEqual({ response_type: 'ephemeral', text: 'Probing closed from 2 regions…' });
    await waitForAsync(async () => slack.posts.length > before, 15_000, 'the result on response_url');
    const post = slack.posts[before];
    expect(post?.path).toMatch(/^\/commands\/T0001\/1\//);
    expect(post?.body.text).toMatch(/^synack probe closed: 2 of 2 regions failing/);
    const text = blockText(post);
    for (const region of ['a', 'b']) {
      const lines = new RegExp(`\\*${region}\\*\\n((?::red_circle: .*\\n?)+)`).exec(text)?.[1] ?? '';
      expect(lines, region).toMatch(/^:red_circle: SYN: rst [0-9.]+ (µs|ms)$/m);
      expect(lines, region).toMatch(/^:red_circle: connect: refused [0-9.]+ (µs|ms) \(ECONNREFUSED\)$/m);
    }
    expect(text).toMatch(/\*Diagnosis:\* `unknown` \(v4 from (a|b|a, b)\)/);
    expect(text).toMatch(/• probes: [ab]\/v4 = `[^`]*(rst|refused)[^`]*`/);
    const ids = /trace `([0-9a-f]{32})` · request `([0-9a-f-]{36})`/.exec(text);
    expect(ids).not.toBeNull();
    // The trace id shown is the request's trace: its root span is there, with a child per region's attempt.
    const [root] = await receiver.waitForSpans((s) => s.name === 'synack probe' && s.traceId === ids?.[1], 20_000);
    expect(root?.attributes['synack.request.id']).toBe(ids?.[2]);
    expect(text).toContain('requested by slack:T0001/U0001 (alice)');
  });

  it('answers before a slow probe ends', async () => {
    const before = slack.posts.length;
    const response = await send(sign(command('probe slow b')));
    const ackMs = Date.now();
    expect(await response.json()).toMatchObject({ text: 'Probing slow from 1 region…' });
    // The slow target's connect times out after 2 s: the reply came first, the result after.
    expect(slack.posts.length).toBe(before);
    await waitForAsync(async () => slack.posts.length > before, 15_000, 'the slow result');
    const post = slack.posts[before] as Posted;
    expect(post.atMs - ackMs).toBeGreaterThan(1500);
    expect(blockText(post)).toMatch(/\*b\*\n:red_circle: connect: timeout/);
  });

  it('answers status, diagnose, slo and help, and helps with what it cannot read', async () => {
    const reply = async (text: string) =>
      (await (await send(sign(command(text)))).json()) as { text: string; blocks?: unknown[] };
    expect(JSON.stringify(await reply('status web'))).toMatch(/\*a\* connect: established/);
    expect(JSON.stringify(await reply('diagnose closed'))).toContain(
      'agent: server snapshot = `none: cannot tell a closed port from a firewall reject`',
    );
    expect((await reply('slo web')).text).toBe('web has no SLO (set slo.objective on it in the config).');
    expect((await reply('help')).text).toContain('/synack probe <target|host:port> [region ...]');
    expect((await reply('frobnicate web')).text).toMatch(/^unknown command "frobnicate"\. Try: probe/);
    expect((await reply('status nosuch')).text).toMatch(/^No configured target is named "nosuch"/);
    const { user_id: _, ...noUser } = command('help');
    const missing = (await (await send(sign(noUser))).json()) as { text: string };
    expect(missing.text).toMatch(/^synack cannot read this request: user_id: /);
  });

  it('refuses forged, stale, replayed and malformed requests with a bare 401', async () => {
    const good = sign(command('help'));
    const cases: [string, Promise<Response>][] = [
      ['forged', send({ ...good, signature: signSlackRequest('not-the-secret', good.timestamp, good.body) })],
      ['tampered', send({ ...good, body: `${good.body}&text=probe+web` })],
      ['stale', send(sign(command('help'), Math.floor(Date.now() / 1000) - 301))],
      ['future', send(sign(command('help'), Math.floor(Date.now() / 1000) + 301))],
      ['no headers', fetch(`${url}/slack/commands`, { method: 'POST', body: good.body })],
      ['malformed', send({ ...good, signature: 'v0=zz' })],
    ];
    for (const [what, pending] of cases) {
      const response = await pending;
      expect(response.status, what).toBe(401);
      expect(await response.json(), what).toEqual({
        error: { code: 'SYNACK_ERR_UNAUTHORIZED', message: 'unauthorized' },
      });
    }
    const first = sign(command('help'));
    expect((await send(first)).status).toBe(200);
    expect((await send(first)).status).toBe(401);
    const huge = sign(command('x'.repeat(20_000)));
    expect((await send(huge)).status).toBe(413);
  });

  it('refuses what chat may not probe, and response_urls that are not Slack’s', async () => {
    const before = slack.posts.length;
    const reply = async (text: string, over: Record<string, string> = {}) =>
      ((await (await send(sign(command(text, { user_id: 'U0002', ...over })))).json()) as { text: string }).text;
    expect(await reply('probe 127.0.0.1:22')).toBe(
      'Not probing 127.0.0.1:22: 127.0.0.1 is not in on_demand.allow (port 22)',
    );
    expect(await reply('probe 2130706433:80')).toMatch(/^Not probing 2130706433:80: bad target/);
    expect(await reply('probe web mars')).toMatch(/^Not probing web: unknown region mars/);
    expect(await reply('probe web', { response_url: 'http://169.254.169.254/latest/meta-data' })).toBe(
      'synack posts results only to Slack (response_url is not a Slack URL).',
    );
    expect(slack.posts.length).toBe(before);
  });

  it('limits probes per user', async () => {
    const over = { user_id: 'U0003', channel_id: 'C0003' };
    const texts: string[] = [];
    for (let i = 0; i < 5; i++)
      texts.push(((await (await send(sign(command('probe web', over)))).json()) as { text: string }).text);
    expect(texts.slice(0, 4)).toEqual(Array(4).fill('Probing web from 2 regions…'));
    expect(texts[4]).toMatch(/^Not probing web: too many probes per user: try again in \d+ s$/);
  });

  it('runs the same probes over the API, with tokens, and validates the body', async () => {
    expect((await api('/v1/probes', null, { method: 'POST', body: '{"target":"web"}' })).status).toBe(401);
    const bad = await api('/v1/probes', 'prober', { method: 'POST', body: '{"target":"web","sourcePorts":99}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: { code: 'SYNACK_ERR_BAD_REQUEST', message: 'sourcePorts: Too big: expected number to be <=64' },
    });
    const refused = await api('/v1/probes', 'prober', { method: 'POST', body: '{"target":"127.0.0.1:25"}' });
    expect(refused.status).toBe(403);
    const started = await api('/v1/probes', 'prober', { method: 'POST', body: '{"target":"web","regions":["a"]}' });
    expect(started.status).toBe(202);
    const report = (await started.json()) as ProbeReport;
    expect(started.headers.get('location')).toBe(`/v1/probes/${report.id}`);
    expect(report).toMatchObject({ status: 'running', regions: ['a'], requestedBy: 'token:oncall-bot' });
    let final: ProbeReport | undefined;
    await waitForAsync(
      async () => {
        final = (await (await api(`/v1/probes/${report.id}`, 'prober')).json()) as ProbeReport;
        return final.status === 'done';
      },
      15_000,
      'the API probe to finish',
    );
    expect(final?.byRegion.a?.map((r) => [r.kind, r.outcome])).toEqual([['connect', 'established']]);
    const waited = await api('/v1/probes?wait=true', 'prober', { method: 'POST', body: '{"target":"closed"}' });
    expect(waited.status).toBe(200);
    expect(((await waited.json()) as ProbeReport).diagnosis).toMatchObject({ verdict: 'unknown', status: 'open' });
    expect((await api('/v1/probes/not-a-uuid', 'prober')).status).toBe(400);
    expect((await api('/v1/audit', 'prober')).status).toBe(403);
  });

  it('keeps an audit log of who probed what, and of refusals', async () => {
    const { entries } = (await (await api('/v1/audit?limit=1000', 'admin')).json()) as {
      entries: {
        action: string;
        decision: string;
        reason?: string;
        target?: string;
        actor: { via: string; user?: string; token?: string };
      }[];
    };
    const seen = (p: (e: (typeof entries)[number]) => boolean) => entries.some(p);
    expect(
      seen(
        (e) => e.action === 'probe' && e.decision === 'allowed' && e.actor.user === 'U0001' && e.target === 'closed',
      ),
    ).toBe(true);
    expect(seen((e) => e.action === 'probe' && e.reason === 'not_allowed' && e.target === '127.0.0.1:22')).toBe(true);
    expect(seen((e) => e.action === 'probe' && e.reason === 'rate_limited' && e.actor.user === 'U0003')).toBe(true);
    expect(seen((e) => e.action === 'probe' && e.decision === 'allowed' && e.actor.token === 'oncall-bot')).toBe(true);
    expect(seen((e) => e.action === 'forbidden' && e.actor.token === 'oncall-bot' && e.reason === 'needs_admin')).toBe(
      true,
    );
    expect(seen((e) => e.action === 'help' && e.actor.user === 'U0001')).toBe(true);
    expect(seen((e) => e.action === 'status' && e.reason === 'unknown_target' && e.target === 'nosuch')).toBe(true);
    // Refused credentials are kept apart: anyone can send those, and they must not push out the rest.
    expect(seen((e) => e.action === 'auth_failed')).toBe(false);
    const auth = (await (await api('/v1/audit?limit=1000&stream=auth', 'admin')).json()) as { entries: typeof entries };
    const failed = (reason: string) => auth.entries.some((e) => e.action === 'auth_failed' && e.reason === reason);
    for (const reason of [
      'bad_signature',
      'replayed',
      'stale',
      'future',
      'missing_headers',
      'malformed',
      'bad_token',
    ]) {
      expect(failed(reason), reason).toBe(true);
    }
  });

  it('lets the CLI read the API with SYNACK_API_TOKEN, and says what is missing without it', async () => {
    const status = (env: Record<string, string>) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const [node, ...args] = synackArgv('status', '--collector', url);
        execFile(node as string, args, { env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const without = await status({});
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('wants an API token with the read scope: set SYNACK_API_TOKEN');
    const withToken = await status({ SYNACK_API_TOKEN: tokens.admin });
    expect(withToken.code).toBe(0);
    expect(withToken.stdout).toMatch(/^web\s+a\s+connect\s+established/m);
  });

  it('never writes a secret, a token or a response_url to its logs or its traces', async () => {
    await receiver.waitForSpans((s) => s.name === 'synack probe', 20_000);
    const output = up.output();
    const exported = JSON.stringify(receiver.spans(), (_, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(exported).toContain('synack probe');
    for (const value of [secret, tokens.prober, tokens.admin, '/commands/T0001/'])
      expect(exported).not.toContain(value);
    expect(output).toContain('audit: probe allowed');
    for (const value of [secret, tokens.prober, tokens.admin]) expect(output).not.toContain(value);
    expect(output).not.toMatch(/\/commands\/T0001\/1\/[0-9a-f]{12}/);
  });
});
