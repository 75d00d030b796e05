import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { startCollector } from '@synack/collector/main';
import { AgentService } from '@synack/runners/agent/agent-service';
import { probeConnect } from '@synack/runners/connect/connect-prober';
import { SourceResolver } from '@synack/runners/net/source-address';
import { nextAttemptId } from '@synack/runners/probe/attempt-id';
import { RegionRunner } from '@synack/runners/runner/region-runner';
import { resolveJobTarget } from '@synack/runners/runner/resolve-job-target';
import { SchedulerService } from '@synack/scheduler/scheduler-service';
import { compileAllowList } from '@synack/shared/allow-list';
import { loadAgentConfig } from '@synack/shared/config/load-config';
import { loadJobSigner, requireJobSigner } from '@synack/shared/config/load-private-key';
import { generateSigningKey } from '@synack/shared/signing-key';
import { createAgentRequestSigner } from '@synack/shared/wire/agent-request-signature';
import { createJobSigner, createJobVerifier } from '@synack/shared/wire/signed-job';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSnapshot } from './support/diagnosis-fixtures.ts';
import { closedPort, listener, redisPair, testConfig } from './support/pipeline.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { synackArgv } from './support/synack-cli.ts';
import { waitForAsync } from './support/wait-for.ts';

/** Every way a private key's material could be written out: its PEM body, and its 32-byte seed. */
function fragmentsOf(pem: string, key: KeyObject): string[] {
  const seed = Buffer.from(String(key.export({ format: 'jwk' }).d), 'base64url');
  const body = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  return [body.join(''), ...body, seed.toString('base64'), seed.toString('base64url'), seed.toString('hex')];
}

const run = async (args: string[], env: Record<string, string>) =>
  promisify(execFile)(args[0] as string, args.slice(1), { timeout: 60_000, env: { ...process.env, ...env } })
    .then(({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }))
    .catch((error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      output: (error.stdout ?? '') + (error.stderr ?? ''),
    }));

// The signing key and an agent's key go through the whole of a run (loaded from a file and from
// the environment, used to sign jobs and snapshots, refused when bad or wrong) and never show in
// a log line, at any level, nor in an error message.
describe('private keys stay out of logs and error messages', () => {
  let redis: TestRedis;
  let dir: string;
  const signing = generateSigningKey();
  const agentKey = generateSigningKey();
  const secrets = [
    ...fragmentsOf(signing.privateKeyPem, signing.privateKey),
    ...fragmentsOf(agentKey.privateKeyPem, agentKey.privateKey),
  ];
  const logged: string[] = [];
  const errors: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => logged.push(line) });
  const stops: (() => Promise<void>)[] = [];
  /** Redis clients as the CLI makes them, disconnected after the test. */
  const clientsFor = (url: string) => {
    const pair = redisPair(url);
    stops.unshift(async () => {
      pair.connection.disconnect();
      pair.redis.disconnect();
    });
    return pair;
  };
  const caught = async (work: () => Promise<unknown>) => {
    try {
      await work();
      errors.push('(no error)');
    } catch (error) {
      errors.push(`${(error as Error).message} ${inspect(error)}`);
    }
  };

  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'synack-secrets-'));
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a run with every component, good and bad credentials, at trace level', async () => {
    const keyFile = join(dir, 'signing.pem');
    await writeFile(keyFile, signing.privateKeyPem, { mode: 0o600 });
    const agentKeyFile = join(dir, 'agent.pem');
    await writeFile(agentKeyFile, agentKey.privateKeyPem, { mode: 0o600 });
    const open = await listener();
    stops.push(async () => void open.server.close());
    const config = testConfig(
      `signing:
  public_keys: ["${signing.publicKey.key}"]
  private_key_file: ${keyFile}
regions: [r1]
allow:
  - { cidr: 127.0.0.1/32, ports: "1-65535" }
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
collector: { listen: 127.0.0.1:0 }
agents:
  - { id: srv, public_key: "${agentKey.publicKey.key}", targets: [web] }
targets:
  - { name: web, address: 127.0.0.1, port: ${open.port} }
  - { name: down, address: 127.0.0.1, port: ${await closedPort()} }
`,
      redis.url,
    );
    const fromFile = await loadJobSigner(config, {});
    const fromEnv = await loadJobSigner(config, { SYNACK_SIGNING_KEY: signing.privateKeyPem });
    if (!fromFile || !fromEnv) throw new Error('no signer loaded');
    expect(fromEnv.kid).toBe(fromFile.kid);
    logger.info({ signer: fromFile, config }, 'what a careless log line would show');

    const scheduler = new SchedulerService({
      config,
      ...clientsFor(config.redisUrl),
      logger: logger.child({ service: 'scheduler' }),
      tickMs: 200,
      signer: fromFile,
    });
    scheduler.start();
    stops.push(() => scheduler.stop());
    const collector = await startCollector({
      config,
      ...clientsFor(config.redisUrl),
      listen: { hostname: '127.0.0.1', port: 0 },
      logger: logger.child({ service: 'collector' }),
      signer: fromEnv,
    });
    stops.push(() => collector.stop());
    const clients = clientsFor(config.redisUrl);
    const sources = new SourceResolver();
    const runner = new RegionRunner({
      config,
      region: 'r1',
      runnerId: 'r1-a',
      version: 'test',
      ...clients,
      rawSyn: false,
      probe: (_kind, target, timeoutMs) => probeConnect({ target, timeoutMs }, sources),
      resolve: (target) => resolveJobTarget(target),
      isAllowed: compileAllowList(config.allow),
      verifier: createJobVerifier(config.signing.publicKeys),
      nextId: nextAttemptId,
      logger: logger.child({ service: 'runner' }),
    });
    runner.start();
    stops.push(() => runner.stop());

    // Jobs that are refused: unsigned, and signed by a key no runner knows.
    const queue = new Queue('probe-r1', { connection: clients.redis, prefix: config.prefix });
    stops.push(() => queue.close());
    const rogue = createJobSigner(generateSigningKey().privateKey);
    const job = { v: 1 as const, origin: 'scheduled' as const, targets: [] };
    await queue.add('bare', { ...job, targets: [{ name: 'x' }] });
    await queue.add('rogue', rogue.sign(job));

    // The agent: its key from key_file, and from SYNACK_AGENT_KEY; a second agent with the wrong key.
    const agentFile = join(dir, 'agent.yaml');
    await writeFile(agentFile, `agent:\n  id: srv\n  collector: ${collector.url}\n  key_file: ${agentKeyFile}\n`);
    const agentConfig = await loadAgentConfig(agentFile, {});
    const viaEnv = await loadAgentConfig(agentFile, { SYNACK_AGENT_KEY: agentKey.privateKeyPem });
    logger.info({ agentConfig, viaEnv }, 'what a careless log line would show');
    const agents = [agentConfig.key, generateSigningKey().privateKey].map(
      (key) =>
        new AgentService({
          collectorUrl: collector.url,
          signer: createAgentRequestSigner('srv', key),
          take: async (trigger) => ({ ...agentSnapshot(Date.now(), Date.now() - 1000, {}), trigger }),
          intervalMs: 500,
          bufferSize: 10,
          logger: logger.child({ service: 'agent' }),
        }),
    );
    for (const agent of agents) {
      agent.start();
      stops.push(() => agent.stop());
    }

    await waitForAsync(
      async () =>
        runner.stats.jobs >= 2 &&
        runner.stats.badSignatures >= 2 &&
        (agents[0]?.stats.sent ?? 0) >= 2 &&
        (agents[1]?.stats.sendErrors ?? 0) >= 1,
      20_000,
      'signed jobs run, bad ones refused, the agent heard and the impostor refused',
    );
    expect(logged.join('')).toContain('agent request refused');
    expect(logged.join('')).toContain('probe job refused');

    // Keys that fail to load: damaged, of another kind, missing, or put where a public key goes.
    const damaged = signing.privateKeyPem.replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!!!!!');
    await caught(() => loadJobSigner(config, { SYNACK_SIGNING_KEY: damaged }));
    await caught(() => loadJobSigner(config, { SYNACK_SIGNING_KEY: signing.privateKeyPem.slice(0, -20) }));
    await caught(() => loadAgentConfig(agentFile, { SYNACK_AGENT_KEY: damaged }));
    await caught(() => requireJobSigner({ ...config, signing: { ...config.signing, privateKeyFile: null } }, 'x', {}));
    await caught(async () => {
      const parsed = testConfig(
        `signing:\n  public_keys: [${JSON.stringify(signing.privateKeyPem)}]\nregions: [r1]\nallow: []\ntargets: []\n`,
        redis.url,
      );
      return parsed;
    });
    expect(errors.every((e) => e !== '(no error)')).toBe(true);

    const everything = `${logged.join('')}\n${errors.join('\n')}\n${inspect(fromFile)} ${JSON.stringify(fromFile)}`;
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it('`synack up` and `synack agent` processes print no key material, even when a key is bad', async () => {
    const file = join(dir, 'up.yaml');
    await writeFile(
      file,
      `redis: ${redis.url}
prefix: secrets-up
signing: { public_keys: ["${signing.publicKey.key}"] }
regions: [a]
allow: [{ cidr: 127.0.0.1/32, ports: "1-65535" }]
defaults: { probes: [connect], interval: 1s, timeout: 500ms }
collector: { listen: 127.0.0.1:0 }
targets:
  - { name: down, address: 127.0.0.1, port: ${await closedPort()} }
`,
    );
    const up = await run(synackArgv('up', '--config', file, '--duration', '3s', '--log-level', 'trace'), {
      SYNACK_SIGNING_KEY: signing.privateKeyPem,
    });
    expect(up.code).toBe(0);
    expect(up.output).toContain('signing probe jobs with the configured key');
    const agentFile = join(dir, 'bad-agent.yaml');
    await writeFile(agentFile, 'agent:\n  id: srv\n  collector: http://127.0.0.1:9\n');
    const agent = await run(synackArgv('agent', '--config', agentFile), {
      SYNACK_AGENT_KEY: agentKey.privateKeyPem.replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!!!!!'),
    });
    expect(agent.code).toBe(2);
    expect(agent.output).toContain('SYNACK_AGENT_KEY is not a PKCS#8 PEM private key');
    for (const secret of secrets) {
      expect(up.output).not.toContain(secret);
      expect(agent.output).not.toContain(secret);
    }
  });
});
