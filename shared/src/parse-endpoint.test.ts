import { describe, expect, it } from 'vitest';
import { parseEndpoint } from './parse-endpoint.ts';

describe('parseEndpoint', () => {
  it('parses IPv4, bracketed IPv6 and hostnames with ports', () => {
    expect(parseEndpoint('192.0.2.1:443')).toEqual({
      kind: 'address',
      host: '192.0.2.1',
      address: '192.0.2.1',
      family: 'v4',
      port: 443,
    });
    expect(parseEndpoint('[2001:db8::1]:8080')).toMatchObject({
      kind: 'address',
      family: 'v6',
      address: '2001:db8::1',
      port: 8080,
    });
    expect(parseEndpoint('Web.Example.COM.:80')).toEqual({ kind: 'hostname', host: 'web.example.com', port: 80 });
  });

  it('probes IPv4-mapped IPv6 addresses over IPv4', () => {
    expect(parseEndpoint('[::ffff:192.0.2.1]:80')).toMatchObject({ address: '192.0.2.1', family: 'v4' });
  });

  it('takes the port from defaultPort when the target has none', () => {
    expect(parseEndpoint('web.example', 443)).toEqual({ kind: 'hostname', host: 'web.example', port: 443 });
    expect(parseEndpoint('2001:db8::1', 80)).toMatchObject({ kind: 'address', family: 'v6', port: 80 });
    expect(parseEndpoint('[2001:db8::1]', 80)).toMatchObject({ family: 'v6', port: 80 });
    expect(parseEndpoint('192.0.2.1:22', 80)).toMatchObject({ port: 22 });
    expect(() => parseEndpoint('web.example')).toThrow('or give --port');
  });

  it.each([
    ['192.0.2.1:0', 'port must be 1..65535, got 0'],
    ['192.0.2.1:70000', 'port must be 1..65535, got 70000'],
    ['192.0.2.1:http', 'port must be a number 1..65535, got "http"'],
    ['192.0.2.1', 'missing ":port"'],
    ['2001:db8::1:80', 'write IPv6 addresses in brackets'],
    ['[2001:db8::1]', 'missing ":port" after "]"'],
    ['[2001:db8::1:80', 'missing "]"'],
    ['[192.0.2.1]:80', 'is not an IPv6 address'],
    ['300.1.2.3:80', '"300.1.2.3" is not a valid IPv4 address'],
    ['bad_host!:80', 'neither an IP address nor a valid hostname'],
    ['-lead.example:80', 'neither an IP address nor a valid hostname'],
    ['', 'empty'],
    ['0.0.0.0:80', '0.0.0.0 is a unspecified address'],
    ['[::]:80', ':: is a unspecified address'],
    ['255.255.255.255:80', 'is a broadcast address'],
    ['224.0.0.1:80', 'is a multicast address'],
    ['[ff02::1]:80', 'is a multicast address'],
    ['[fe80::1%eth0]:80', 'zone ids'],
  ])('rejects %j with a clear reason', (spec, reason) => {
    expect(() => parseEndpoint(spec)).toThrow(reason);
    try {
      parseEndpoint(spec);
    } catch (error) {
      expect(error).toMatchObject({ code: 'SYNACK_ERR_BAD_TARGET' });
    }
  });
});
