import { describe, expect, it } from 'vitest';
import { collectorUrl, parseListen } from './listen-address.ts';

describe('listen addresses', () => {
  it('parses host:port and [v6]:port, and names the option when wrong', () => {
    expect(parseListen('--listen', '[::1]:8470')).toEqual({ hostname: '::1', port: 8470 });
    expect(() => parseListen('--listen', '8470')).toThrow(/^--listen: /);
  });

  it('reaches a wildcard listener on loopback', () => {
    expect(collectorUrl('0.0.0.0:8470')).toBe('http://127.0.0.1:8470');
    expect(collectorUrl('[::]:8470')).toBe('http://[::1]:8470');
    expect(collectorUrl('[2001:db8::1]:80')).toBe('http://[2001:db8::1]:80');
    expect(collectorUrl('10.0.0.5:8470')).toBe('http://10.0.0.5:8470');
  });
});
