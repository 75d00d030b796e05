import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, publicEntryOf } from '../signing-key.ts';
import { parseAgentConfig } from './agent-config.ts';
import { loadAgentConfig } from './load-config.ts';
import { formatConfigIssue } from './parse-config.ts';

describe('agent config', () => {
  it('reads id, collector, interval and buffer with defaults', () => {
    const r = parseAgentConfig('agent:\n  id: web-1\n  collector: http://10.0.0.5:8470\n', 'agent.yaml');
    expect(r).toEqual({
      ok: true,
      config: {
        file: 'agent.yaml',
        id: 'web-1',
        collectorUrl: 'http://10.0.0.5:8470',
        keyFile: null,
        intervalMs: 10_000,
        bufferSize: 360,
      },
    });
  });

  it('reports every issue with its line', () => {
    const r = parseAgentConfig(
      'agent:\n  id: Web_1\n  collector: ftp://x\n  interval: 10\n  colour: blue\n',
      'agent.yaml',
    );
    expect(r.ok ? [] : r.issues.map(formatConfigIssue)).toEqual([
      'agent.yaml:2:7 agent.id: expected an agent id: 1..63 characters of a-z, 0-9 and "-", got "Web_1"',
      'agent.yaml:3:14 agent.collector: expected the collector\'s http:// or https:// URL, got "ftp://x"',
      'agent.yaml:4:13 agent.interval: expected a duration with a unit like 500ms, 10s or 5m, got 10',
      'agent.yaml:5:3 agent.colour: unknown key "colour"',
    ]);
  });

  it('takes the key from SYNACK_AGENT_KEY or key_file, and refuses a missing or bad one without quoting it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synack-agent-'));
    try {
      const [fromFile, fromEnv] = [generateSigningKey(), generateSigningKey()];
      const keyFile = join(dir, 'agent.pem');
      await writeFile(keyFile, fromFile.privateKeyPem, { mode: 0o600 });
      const file = join(dir, 'agent.yaml');
      await writeFile(file, `agent:\n  id: web-1\n  collector: http://127.0.0.1:8470\n  key_file: ${keyFile}\n`);
      expect(publicEntryOf((await loadAgentConfig(file, {})).key)).toEqual(fromFile.publicKey);
      const withEnv = await loadAgentConfig(file, { SYNACK_AGENT_KEY: fromEnv.privateKeyPem });
      expect(publicEntryOf(withEnv.key)).toEqual(fromEnv.publicKey);
      // The loaded config shows no key material, however it is printed.
      expect(`${JSON.stringify(withEnv)} ${inspect(withEnv)}`).not.toContain(fromEnv.privateKeyPem.split('\n')[1]);
      const secretish = '-----BEGIN PRIVATE KEY-----\nTOPSECRETTOPSECRET\n-----END PRIVATE KEY-----\n';
      await writeFile(keyFile, secretish);
      await expect(loadAgentConfig(file, {})).rejects.toMatchObject({
        code: 'SYNACK_ERR_CONFIG_INVALID',
        message: `private key file ${keyFile} is not a PKCS#8 PEM private key (make one with synack keygen)`,
      });
      await expect(loadAgentConfig(file, { SYNACK_AGENT_KEY: 'TOPSECRET' })).rejects.toMatchObject({
        message: expect.not.stringContaining('TOPSECRET'),
      });
      await writeFile(file, `agent:\n  id: web-1\n  collector: http://127.0.0.1:8470\n`);
      await expect(loadAgentConfig(file, {})).rejects.toMatchObject({
        code: 'SYNACK_ERR_CONFIG_INVALID',
        message: expect.stringContaining('no private key (set agent.key_file or SYNACK_AGENT_KEY'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
