import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isSynackError, type SynackError } from '../synack-error.ts';
import { loadConfig } from './load-config.ts';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synack-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(text: string): Promise<string> {
    const file = join(dir, 'synack.yaml');
    await writeFile(file, text);
    return file;
  }

  async function rejection(promise: Promise<unknown>): Promise<SynackError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!isSynackError(error, ErrorCode.configInvalid))
      throw new Error(`expected ${ErrorCode.configInvalid}, got ${error}`);
    return error;
  }

  it('reads, validates and freezes a valid file, applying the given environment', async () => {
    const file = await write(
      'regions: [eu-west]\nallow: [{ cidr: 192.0.2.0/24, ports: 443 }]\ntargets:\n  - { name: a, address: 192.0.2.1, port: 443 }\n',
    );
    const config = await loadConfig(file, { SYNACK_REDIS_URL: 'redis://redis:6379' });
    expect(config).toMatchObject({ file, redisUrl: 'redis://redis:6379', regions: ['eu-west'] });
    expect(config.targets.map((target) => target.name)).toEqual(['a']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('throws SYNACK_ERR_CONFIG_INVALID listing every issue, one per line', async () => {
    const file = await write(
      'regions: [eu-west]\nallow: [{ cidr: 192.0.2.0/24, ports: 443 }]\ntargets:\n  - { name: a, address: 192.0.2.1, port: 0 }\n  - { name: a, address: 192.0.2.2, port: 443 }\n',
    );
    const error = await rejection(loadConfig(file, {}));
    expect(error.message.split('\n')).toEqual([
      `config ${file} is not valid (2 problems):`,
      `${file}:4:42 targets[0].port: expected 1..65535, got 0`,
      `${file}:5:13 targets[1].name: duplicate target name "a" (first at line 4)`,
    ]);
  });

  it('throws the same code, naming the file, when it is missing', async () => {
    const file = join(dir, 'nope.yaml');
    const error = await rejection(loadConfig(file, {}));
    expect(error.message).toBe(`config ${file}: no such file`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('throws the same code when the path cannot be read as a file', async () => {
    const error = await rejection(loadConfig(dir, {}));
    expect(error.message).toBe(`config ${dir}: cannot read it`);
  });
});
