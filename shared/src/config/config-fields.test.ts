import { describe, expect, it } from 'vitest';
import { checkAddress, checkDuration, checkListen, checkRedis, formatDurationMs } from './config-fields.ts';

describe('checkRedis', () => {
  it.each([
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['rediss://:pw@redis.internal:6380/1', 'rediss://:pw@redis.internal:6380/1'],
    ['unix:///run/redis.sock', 'unix:///run/redis.sock'],
    ['/run/redis.sock', 'unix:///run/redis.sock'],
    ['redis-cluster://:pw@10.0.0.1:7000,10.0.0.2:7001', 'redis-cluster://:pw@10.0.0.1:7000,10.0.0.2:7001'],
    [
      'redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster',
      'redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster',
    ],
  ])('accepts %s', (input, url) => {
    expect(checkRedis(input)).toEqual({ ok: true, value: url });
  });

  it.each([
    [
      'http://user:secret@redis:6379',
      'expected a redis://, rediss://, redis-cluster://, redis-sentinel:// or unix:// URL, or an absolute socket path',
    ],
    [
      'run/redis.sock',
      'expected a redis://, rediss://, redis-cluster://, redis-sentinel:// or unix:// URL, or an absolute socket path',
    ],
    ['unix://run/redis.sock', 'a unix:// URL needs an absolute path: unix:///run/redis.sock'],
    ['redis-cluster://10.0.0.1:7000,', 'a redis-cluster:// URL lists seed nodes as host:port,host:port'],
    ['redis-sentinel://10.0.0.1:26379,/mymaster', 'a redis-sentinel:// URL is host:port,host:port/mastername'],
    [
      'redis://',
      'expected a redis://, rediss://, redis-cluster://, redis-sentinel:// or unix:// URL, or an absolute socket path; this one has no host',
    ],
    [
      6379,
      'expected a redis://, rediss://, redis-cluster://, redis-sentinel:// or unix:// URL, or an absolute socket path, got 6379',
    ],
  ])('rejects %s without echoing it', (input, message) => {
    expect(checkRedis(input)).toEqual({ ok: false, message });
  });
});

describe('checkListen', () => {
  it.each([
    ['127.0.0.1:8470', '127.0.0.1:8470'],
    ['0.0.0.0:0', '0.0.0.0:0'],
    ['[::]:8470', '[::]:8470'],
    ['[0:0::1]:80', '[::1]:80'],
    ['LocalHost:8470', 'localhost:8470'],
  ])('accepts %s as %s', (input, listen) => {
    expect(checkListen(input)).toEqual({ ok: true, value: listen });
  });

  it.each([
    ['127.0.0.1', 'expected host:port like 127.0.0.1:8470 or [::1]:8470, got "127.0.0.1"'],
    ['::1:8470', 'expected host:port like 127.0.0.1:8470 or [::1]:8470, got "::1:8470"'],
    [':8470', 'expected host:port like 127.0.0.1:8470 or [::1]:8470, got ":8470"'],
    ['127.0.0.1:70000', 'port must be 0..65535, got 70000'],
    ['[10.0.0.1]:80', '"10.0.0.1" is not an IPv6 address'],
    ['999.1.1.1:80', '"999.1.1.1" is neither an IP address nor a valid hostname'],
  ])('rejects %s', (input, message) => {
    expect(checkListen(input)).toEqual({ ok: false, message });
  });
});

describe('checkAddress', () => {
  it('canonicalizes literals and hostnames', () => {
    expect(checkAddress('2001:DB8::0:1')).toEqual({ ok: true, value: { address: '2001:db8::1', family: 'v6' } });
    expect(checkAddress('::ffff:192.0.2.1')).toEqual({ ok: true, value: { address: '192.0.2.1', family: 'v4' } });
    expect(checkAddress('Web.Example.')).toEqual({ ok: true, value: { address: 'web.example', family: null } });
  });

  it.each(['0.0.0.0', '::', '255.255.255.255', 'ff02::1', 'fe80::1%eth0', '-bad.example', '10.0.0.256'])(
    'rejects %s',
    (input) => {
      expect(checkAddress(input).ok).toBe(false);
    },
  );
});

describe('checkDuration', () => {
  it('reads durations with a unit, refusing bare numbers and values under the minimum', () => {
    const interval = checkDuration(1000);
    expect(interval('1.5s')).toEqual({ ok: true, value: 1500 });
    expect(interval('5m')).toEqual({ ok: true, value: 300_000 });
    expect(interval('999ms')).toEqual({ ok: false, message: 'expected at least 1s, got 999ms' });
    expect(interval('30')).toEqual({
      ok: false,
      message: 'expected a duration with a unit like 500ms, 10s or 5m, got "30"',
    });
    expect(interval(30)).toEqual({
      ok: false,
      message: 'expected a duration with a unit like 500ms, 10s or 5m, got 30',
    });
    expect(checkDuration(1)('0ms')).toEqual({ ok: false, message: 'must be more than 0, got 0ms' });
  });

  it('formats milliseconds back in the largest whole unit', () => {
    expect([3_600_000, 120_000, 2000, 1500, 0].map(formatDurationMs)).toEqual(['1h', '2m', '2s', '1500ms', '0ms']);
  });
});

describe('checkDuration bounds', () => {
  it('refuses durations above the maximum', () => {
    expect(checkDuration(1, 600_000)('11m')).toEqual({ ok: false, message: 'expected at most 10m, got 11m' });
    expect(checkDuration(1, 600_000)('10m')).toEqual({ ok: true, value: 600_000 });
  });
});
