import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../signing-key.ts';
import { type ConfigIssue, formatConfigIssue, parseConfig } from './parse-config.ts';
import type { SynackConfig } from './synack-config.ts';

const BASE = `regions: [eu-west]
allow: [{ cidr: 10.0.0.0/8, ports: "1-65535" }]
targets: [{ name: web, address: 10.0.0.5, port: 443 }]
`;
const DIGEST = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

function valid(text: string, env: Record<string, string | undefined> = {}): SynackConfig {
  const result = parseConfig(text, 'synack.yaml', env);
  if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join('\n'));
  return result.config;
}

function problems(text: string, env: Record<string, string | undefined> = {}): string[] {
  const result = parseConfig(text, 'synack.yaml', env);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues.map((issue: ConfigIssue) => `${issue.line} ${issue.path}: ${issue.message}`);
}

describe('api, slack and on_demand config', () => {
  it('reads tokens, the Slack section and the on-demand allow-list and rates', () => {
    const config = valid(`${BASE}api:
  tokens:
    - { name: oncall, sha256: ${DIGEST}, scopes: [read, probe] }
slack:
  signing_secret_file: /run/secrets/slack
  response_url_hosts: [127.0.0.1:9000, Hooks.Example.com]
on_demand:
  allow: [{ cidr: 10.1.0.0/16, ports: "443,8000-8100" }]
  rate_limits: { per_user: 3/10s, per_target: 100/1h }
`);
    expect(config.api.tokens).toEqual([{ name: 'oncall', sha256: DIGEST, scopes: ['read', 'probe'], from: 'file' }]);
    expect(config.slack).toMatchObject({
      signingSecret: null,
      signingSecretFile: '/run/secrets/slack',
      responseUrlHosts: ['127.0.0.1:9000', 'hooks.example.com'],
    });
    expect(config.onDemand.allow).toEqual([
      {
        cidr: '10.1.0.0/16',
        ports: [
          [443, 443],
          [8000, 8100],
        ],
      },
    ]);
    expect(config.onDemand.rateLimits).toEqual({
      perUser: { count: 3, perMs: 10_000 },
      perChannel: { count: 30, perMs: 60_000 },
      perTarget: { count: 100, perMs: 3_600_000 },
    });
  });

  it('adds tokens from SYNACK_API_TOKENS and takes the Slack secret from its variable, redacted', () => {
    const config = valid(`${BASE}api: { tokens: [{ name: a, sha256: ${DIGEST}, scopes: [admin] }] }\n`, {
      SYNACK_API_TOKENS: `ci:probe:${OTHER}, viewer:read+read:${'c'.repeat(64)}`,
      SYNACK_SLACK_SIGNING_SECRET: 'not-for-logs',
    });
    expect(config.api.tokens.map((t) => [t.name, t.scopes, t.from])).toEqual([
      ['a', ['admin'], 'file'],
      ['ci', ['probe'], 'environment'],
      ['viewer', ['read'], 'environment'],
    ]);
    expect(config.slack.signingSecret?.reveal()).toBe('not-for-logs');
    expect(JSON.stringify(config)).not.toContain('not-for-logs');
  });

  it('names each bad field with its line', () => {
    expect(
      problems(`${BASE}api:
  tokens:
    - { name: Bad_Name, sha256: abc, scopes: [root] }
    - { name: x, sha256: ${DIGEST}, scopes: [] }
slack: { signing_secret_file: relative/path, response_url_hosts: ["https://hooks.slack.com/x"] }
on_demand: { allow: [{ cidr: 10.0.0.1/8, ports: "0" }], rate_limits: { per_user: ten, per_channel: 0/1m, per_target: 5/1ms } }
`),
    ).toEqual([
      '6 api.tokens[0].name: expected a token name: 1..63 characters of a-z, 0-9 and "-", got "Bad_Name"',
      '6 api.tokens[0].sha256: expected the SHA-256 of the token, 64 lower-case hex digits (sha256sum) (the value is not shown: it may be a secret)',
      '6 api.tokens[0].scopes[0]: expected read, probe or admin, got "root"',
      '7 api.tokens[1].scopes: must not be empty',
      '8 slack.signing_secret_file: expected an absolute path to the file holding the signing secret (the value is not shown: it may be a secret)',
      '8 slack.response_url_hosts[0]: expected a host like hooks.slack.com or 127.0.0.1:8080, got "https://hooks.slack.com/x"',
      '9 on_demand.allow[0].cidr: 10.0.0.1/8 has host bits set (the network is 10.0.0.0/8)',
      '9 on_demand.allow[0].ports: port 0 is outside 1..65535',
      '9 on_demand.rate_limits.per_user: expected a rate like 10/1m (a count per duration), got "ten"',
      '9 on_demand.rate_limits.per_channel: the count must be at least 1, got 0/1m',
      '9 on_demand.rate_limits.per_target: expected at least 1s, got 1ms (in 5/1ms)',
    ]);
  });

  it('refuses two tokens with the same digest', () => {
    expect(
      problems(
        `${BASE}api: { tokens: [{ name: a, sha256: ${DIGEST}, scopes: [read] }, { name: b, sha256: ${DIGEST}, scopes: [admin] }] }\n`,
      ),
    ).toEqual(['4 api.tokens[1].sha256: the same SHA-256 as token "a": one token, one entry']);
    expect(
      problems(`${BASE}api: { tokens: [{ name: a, sha256: ${DIGEST}, scopes: [read] }] }\n`, {
        SYNACK_API_TOKENS: `b:admin:${DIGEST}`,
      }),
    ).toEqual([expect.stringContaining('token "b" has the same SHA-256 as "a"')]);
  });

  it('refuses a bad SYNACK_API_TOKENS entry without echoing it, and duplicate names', () => {
    const pasted = 'snk_rawtokenpastedbymistake';
    const messages = problems(`${BASE}api: { tokens: [{ name: ci, sha256: ${DIGEST}, scopes: [read] }] }\n`, {
      SYNACK_API_TOKENS: `ok:read:${OTHER} ${pasted}`,
    });
    expect(messages).toEqual([expect.stringMatching(/SYNACK_API_TOKENS: entry 2 is not name:scopes:sha256/)]);
    expect(messages.join('\n')).not.toContain(pasted);
    expect(
      problems(`${BASE}api: { tokens: [{ name: ci, sha256: ${DIGEST}, scopes: [read] }] }\n`, {
        SYNACK_API_TOKENS: `ci:read:${OTHER}`,
      }),
    ).toEqual([expect.stringContaining('token name "ci" is also in api.tokens')]);
  });
});

describe('keys doing one job each', () => {
  it('refuses the job-signing key as an agent key, and one key for two agents', () => {
    const signing = generateSigningKey().publicKey.key;
    const shared = generateSigningKey().publicKey.key;
    const text = `${BASE}signing: { public_keys: ["${signing}"] }
agents:
  - { id: a1, public_key: "${signing}", targets: [web] }
  - { id: a2, public_key: "${shared}", targets: [web] }
  - { id: a3, public_key: "${shared}", targets: [web] }
`;
    expect(problems(text)).toEqual([
      '6 agents[0].public_key: this is a job-signing key (in signing.public_keys): give the agent a key of its own',
      '8 agents[2].public_key: the same key as agent 2 (line 7): one key per agent',
    ]);
  });
});
