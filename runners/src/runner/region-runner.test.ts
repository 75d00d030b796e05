import { parseConfig } from '@synack/shared/config/parse-config';
import { createJobVerifier } from '@synack/shared/wire/signed-job';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RegionRunner, scheduledAtMs } from './region-runner.ts';

describe('scheduledAtMs', () => {
  it('reads the slot time from a Job Scheduler iteration id', () => {
    expect(scheduledAtMs({ id: 'repeat:i10000-s3:1763900000300', timestamp: 1763900000123, delay: 150 })).toBe(
      1763900000300,
    );
  });

  it('falls back to creation time plus delay for other jobs', () => {
    expect(scheduledAtMs({ id: 'by-hand', timestamp: 1000, delay: 250 })).toBe(1250);
    expect(scheduledAtMs({ id: undefined, timestamp: 1000, delay: 0 })).toBe(1000);
  });
});

describe('RegionRunner without public keys', () => {
  it('refuses to be built, naming signing.public_keys and synack keygen', () => {
    const parsed = parseConfig(
      'regions: [r1]\nallow: [{ cidr: 127.0.0.1/32, ports: "1-65535" }]\nsigning: { public_keys: [] }\ntargets: []\n',
      'runner.yaml',
      {},
    );
    if (!parsed.ok) throw new Error('bad test config');
    // Nothing connects before the check: the clients are never touched.
    const never = {} as Redis;
    const build = () =>
      new RegionRunner({
        config: parsed.config,
        region: 'r1',
        runnerId: 'x',
        version: 'test',
        connection: never,
        redis: never,
        rawSyn: false,
        probe: async () => {
          throw new Error('never probes');
        },
        resolve: async () => [],
        isAllowed: () => true,
        verifier: createJobVerifier(parsed.config.signing.publicKeys),
        nextId: () => 'id',
        logger: pino({ level: 'silent' }),
      });
    expect(build).toThrow(
      expect.objectContaining({
        code: 'SYNACK_ERR_CONFIG_INVALID',
        message:
          'runner.yaml: no signing.public_keys: a runner takes only jobs signed by a key listed there (make a key pair with: synack keygen --out FILE)',
      }),
    );
  });
});
