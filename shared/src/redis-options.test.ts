import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl } from './redis-options.ts';

describe('parseRedisUrl', () => {
  it('reads host, port, credentials, db and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toEqual({ kind: 'single', host: '127.0.0.1', port: 6380 });
    expect(parseRedisUrl('rediss://u:p%40ss@[::1]/2')).toEqual({
      kind: 'single',
      host: '::1',
      port: 6379,
      username: 'u',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
  });

  it('reads unix sockets and cluster seed lists', () => {
    expect(parseRedisUrl('unix:///run/redis/redis.sock')).toEqual({ kind: 'single', path: '/run/redis/redis.sock' });
    expect(parseRedisUrl('redis-cluster://:secret@10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      password: 'secret',
    });
  });

  it('reads Sentinel lists with the master name', () => {
    expect(parseRedisUrl('redis-sentinel://:pw@10.0.0.1:26379,10.0.0.2:26380/mymaster/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      name: 'mymaster',
      password: 'pw',
      db: 3,
    });
  });

  it('keeps every ":" of a cluster or Sentinel password', () => {
    expect(parseRedisUrl('redis-cluster://u:a:b:c@10.0.0.1:7000')).toMatchObject({ username: 'u', password: 'a:b:c' });
  });

  it('refuses other schemes', () => {
    expect(() => parseRedisUrl('http://x')).toThrow(TypeError);
  });
});

describe('redactRedisUrl', () => {
  it('hides passwords and keeps the rest', () => {
    expect(redactRedisUrl('redis://user:hunter2@db:6379/0')).toBe('redis://user:***@db:6379/0');
    expect(redactRedisUrl('redis://:hunter2@db:6379')).toBe('redis://:***@db:6379');
    expect(redactRedisUrl('redis://db:6379')).toBe('redis://db:6379');
    expect(redactRedisUrl('unix:///tmp/r.sock')).toBe('unix:///tmp/r.sock');
  });
});
