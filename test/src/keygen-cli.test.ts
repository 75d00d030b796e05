import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@synack/shared/config/parse-config';
import { privateKeyFromPem, publicEntryOf } from '@synack/shared/signing-key';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSynack } from './support/synack-cli.ts';

const synack = runSynack;

describe('synack keygen', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synack-keygen-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a 0600 PKCS#8 key, prints config lines that parse, and never replaces a key', async () => {
    const out = join(dir, 'signing.pem');
    const made = await synack('keygen', '--out', out);
    expect(made.code).toBe(0);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const pem = await readFile(out, 'utf8');
    const key = privateKeyFromPem(pem, out);
    if (!key.ok) throw new Error(key.message);
    const entry = publicEntryOf(key.key);
    expect(made.stdout).toContain(`(key id ${entry.kid})`);
    expect(made.stdout).not.toContain('PRIVATE KEY');
    const keysLine = made.stdout.split('\n').find((line) => line.includes('public_keys:'));
    const agentLine = made.stdout.split('\n').find((line) => line.includes('public_key:'));
    expect(keysLine?.trim()).toBe(`public_keys: ["${entry.key}"]`);
    expect(agentLine?.trim()).toBe(`public_key: "${entry.key}"`);
    // Pasted as printed, both lines make a valid config.
    const parsed = parseConfig(
      // One key per job: the signing config with this key, and (in a config of its own) an agent with it.
      `regions: [r1]\nallow: [{ cidr: 10.0.0.0/8, ports: "443" }]\nsigning:\n${keysLine}\n  private_key_file: ${out}\ntargets:\n  - { name: web, address: 10.0.0.1, port: 443 }\n`,
      'synack.yaml',
      {},
    );
    expect(parsed.ok && parsed.config.signing.publicKeys).toEqual([entry]);
    const asAgent = parseConfig(
      `regions: [r1]\nallow: [{ cidr: 10.0.0.0/8, ports: "443" }]\nagents:\n  - id: web-1\n    targets: [web]\n  ${agentLine}\ntargets:\n  - { name: web, address: 10.0.0.1, port: 443 }\n`,
      'synack.yaml',
      {},
    );
    expect(asAgent.ok && asAgent.config.agents[0]?.publicKey).toEqual(entry);

    const again = await synack('keygen', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`--out ${out}: it exists (keygen never replaces a key)`);
    expect(await readFile(out, 'utf8')).toBe(pem);
  });

  it('without --out, writes the key to stdout and the config lines to stderr', async () => {
    const made = await synack('keygen');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=]+\n-----END PRIVATE KEY-----\n$/);
    const key = privateKeyFromPem(made.stdout, 'stdout');
    expect(key.ok && made.stderr).toContain(`public_keys: ["${key.ok ? publicEntryOf(key.key).key : ''}"]`);
  });
});
