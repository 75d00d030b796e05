import { describe, expect, it } from 'vitest';
import { resolveJobTarget } from './resolve-job-target.ts';

const target = {
  name: 'web',
  address: 'web.example',
  port: 443,
  probes: ['syn' as const],
  families: ['v4' as const, 'v6' as const],
  timeoutMs: 1000,
  atMs: 0,
};

describe('resolveJobTarget', () => {
  it('keeps a literal as is, canonical', async () => {
    const out = await resolveJobTarget({ ...target, address: '2001:DB8::0001' }, async () => {
      throw new Error('must not resolve a literal');
    });
    expect(out).toEqual([{ ok: true, addresses: [{ name: 'web', address: '2001:db8::1', port: 443, family: 'v6' }] }]);
  });

  it('probes the wanted families a name has', async () => {
    const out = await resolveJobTarget(target, async () => [
      { address: '10.0.0.1', family: 4 },
      { address: '10.0.0.2', family: 4 },
    ]);
    expect(out).toEqual([
      {
        ok: true,
        addresses: [
          { name: 'web', address: '10.0.0.1', port: 443, family: 'v4' },
          { name: 'web', address: '10.0.0.2', port: 443, family: 'v4' },
        ],
      },
    ]);
  });

  it('reports a name with nothing to probe, per family', async () => {
    const failure = Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    const out = await resolveJobTarget(target, async () => {
      throw failure;
    });
    expect(out).toEqual([
      { ok: false, family: 'v4', message: 'cannot resolve "web.example": ENOTFOUND' },
      { ok: false, family: 'v6', message: 'cannot resolve "web.example": ENOTFOUND' },
    ]);
    const v6only = await resolveJobTarget({ ...target, families: ['v6'] }, async () => [
      { address: '10.0.0.1', family: 4 },
    ]);
    expect(v6only).toEqual([{ ok: false, family: 'v6', message: 'cannot resolve "web.example": no AAAA records' }]);
  });
});
