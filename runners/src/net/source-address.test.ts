import { describe, expect, it } from 'vitest';
import { lookupSource, SourceResolver } from './source-address.ts';

describe('lookupSource', () => {
  it('returns the address the kernel would send from', async () => {
    expect(await lookupSource('v4', '127.0.0.1')).toEqual({ ok: true, address: '127.0.0.1' });
    expect(await lookupSource('v6', '::1')).toEqual({ ok: true, address: '::1' });
  });

  it('reports a failed lookup with its errno instead of a wildcard address', async () => {
    // The IPv4 limited broadcast needs SO_BROADCAST: connect() refuses it with EACCES.
    expect(await lookupSource('v4', '255.255.255.255')).toMatchObject({ ok: false, errno: 'EACCES' });
  });

  it('caches per destination for its ttl', async () => {
    let now = 0;
    const resolver = new SourceResolver(1000, () => now);
    const a = resolver.lookup('v4', '127.0.0.1');
    expect(resolver.cached('v4', '127.0.0.1')).toBeUndefined();
    expect(resolver.lookup('v4', '127.0.0.1')).toBe(a);
    await a;
    expect(resolver.cached('v4', '127.0.0.1')).toEqual({ ok: true, address: '127.0.0.1' });
    now = 1500;
    expect(resolver.cached('v4', '127.0.0.1')).toBeUndefined();
    expect(resolver.lookup('v4', '127.0.0.1')).not.toBe(a);
  });
});
