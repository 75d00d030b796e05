import { parseEndpoint } from '@synack/shared/parse-endpoint';
import { describe, expect, it } from 'vitest';
import { resolveTargets } from './resolve-targets.ts';

const fakeDns = async (host: string) => {
  if (host === 'dual.test') {
    return [
      { address: '192.0.2.5', family: 4 },
      { address: '2001:db8::5', family: 6 },
      { address: '192.0.2.5', family: 4 },
    ];
  }
  throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
};

describe('resolveTargets', () => {
  it('probes both families of a hostname unless -4 or -6 narrows it', async () => {
    const ep = parseEndpoint('dual.test:443');
    expect((await resolveTargets(ep, 'any', fakeDns)).map((t) => t.address)).toEqual(['192.0.2.5', '2001:db8::5']);
    expect(await resolveTargets(ep, 'v6', fakeDns)).toEqual([
      { name: 'dual.test', address: '2001:db8::5', port: 443, family: 'v6' },
    ]);
  });

  it('fails clearly for unresolvable names and family mismatches', async () => {
    await expect(resolveTargets(parseEndpoint('nope.test:1'), 'any', fakeDns)).rejects.toThrow(
      'cannot resolve "nope.test": ENOTFOUND',
    );
    await expect(resolveTargets(parseEndpoint('192.0.2.1:80'), 'v6', fakeDns)).rejects.toMatchObject({
      code: 'SYNACK_ERR_BAD_TARGET',
    });
  });

  it('resolves real names through the system resolver', async () => {
    const targets = await resolveTargets(parseEndpoint('localhost:22'), 'v4');
    expect(targets[0]).toMatchObject({ address: '127.0.0.1', family: 'v4', name: 'localhost' });
  });
});
