import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
        tokenFile: null,
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

  it('takes the token from SYNACK_AGENT_TOKEN or token_file, and refuses a missing or short one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synack-agent-'));
    try {
      const tokenFile = join(dir, 'token');
      await writeFile(tokenFile, 'from-the-token-file-0123\n');
      const file = join(dir, 'agent.yaml');
      await writeFile(file, `agent:\n  id: web-1\n  collector: http://127.0.0.1:8470\n  token_file: ${tokenFile}\n`);
      expect((await loadAgentConfig(file, {})).token).toBe('from-the-token-file-0123');
      expect((await loadAgentConfig(file, { SYNACK_AGENT_TOKEN: 'from-the-environment-99' })).token).toBe(
        'from-the-environment-99',
      );
      await writeFile(tokenFile, 'short');
      await expect(loadAgentConfig(file, {})).rejects.toMatchObject({
        code: 'SYNACK_ERR_CONFIG_INVALID',
        message: expect.not.stringContaining('short'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
