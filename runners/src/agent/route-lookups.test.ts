import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNeighbourState } from './parse-neighbour-state.ts';
import { parseRouteGet } from './parse-route-get.ts';
import { lookupRoutes } from './route-lookups.ts';
import { type RunTool, runTool } from './run-tool.ts';

// Captured from iproute2 6.1 on kernel 6.18, in a test namespace.
const ok = (stdout: string) => ({ code: 0, stdout, stderr: '' });
const failed = (stderr: string) => ({ code: 2, stdout: '', stderr });

describe('parseRouteGet', () => {
  it('reads the device, gateway and source of a route', () => {
    const run = ok(
      '[{"dst":"192.0.2.5","gateway":"203.0.113.1","dev":"v0","prefsrc":"203.0.113.10","flags":[],"uid":0,"cache":[]}]\n',
    );
    expect(parseRouteGet(run)).toEqual({ result: 'ok', dev: 'v0', gateway: '203.0.113.1', prefsrc: '203.0.113.10' });
    const v6 = ok(
      '[{"dst":"2001:db8:1::5","from":"::","gateway":"2001:db8:5::1","dev":"v0","prefsrc":"2001:db8:5::10","metric":1024,"flags":[],"pref":"medium"}]\n',
    );
    expect(parseRouteGet(v6)).toEqual({ result: 'ok', dev: 'v0', gateway: '2001:db8:5::1', prefsrc: '2001:db8:5::10' });
  });

  it('keeps the type of a local route', () => {
    const run = ok(
      '[{"type":"local","dst":"203.0.113.10","dev":"lo","prefsrc":"203.0.113.10","flags":[],"uid":0,"cache":["local"]}]\n',
    );
    expect(parseRouteGet(run)).toEqual({ result: 'ok', type: 'local', dev: 'lo', prefsrc: '203.0.113.10' });
  });

  it('maps the kernel’s refusals to results, in its own words', () => {
    expect(parseRouteGet(failed('RTNETLINK answers: Network is unreachable\n'))).toEqual({
      result: 'unreachable',
      error: 'Network is unreachable',
    });
    expect(parseRouteGet(failed('RTNETLINK answers: No route to host\n')).result).toBe('unreachable');
    expect(parseRouteGet(failed('RTNETLINK answers: Permission denied\n')).result).toBe('prohibited');
    expect(parseRouteGet(failed('RTNETLINK answers: Invalid argument\n')).result).toBe('blackhole');
    expect(parseRouteGet(failed('Error: any valid prefix is expected rather than "x".\n'))).toEqual({
      result: 'error',
      error: 'Error: any valid prefix is expected rather than "x".',
    });
  });

  it('maps special routes returned as routes, and a tool that timed out', () => {
    expect(parseRouteGet(ok('[{"type":"prohibit","dst":"198.18.0.1","dev":"lo"}]'))).toMatchObject({
      result: 'prohibited',
      error: 'prohibit route',
    });
    expect(parseRouteGet(ok('[{"type":"blackhole","dst":"198.18.0.1"}]')).result).toBe('blackhole');
    expect(parseRouteGet({ code: null, stdout: '', stderr: '' }).result).toBe('error');
    expect(parseRouteGet(ok('[]')).result).toBe('error');
    expect(parseRouteGet(ok('not json')).result).toBe('error');
  });
});

describe('parseNeighbourState', () => {
  it('reads the entry’s state, or NONE when there is no entry', () => {
    expect(parseNeighbourState('[{"dst":"203.0.113.1","state":["INCOMPLETE"]}]\n')).toBe('INCOMPLETE');
    expect(parseNeighbourState('[{"dst":"203.0.113.99","lladdr":"02:00:00:00:00:01","state":["REACHABLE"]}]')).toBe(
      'REACHABLE',
    );
    expect(parseNeighbourState('[{"dst":"203.0.113.1","state":["DELAY","PROBE"]}]')).toBe('DELAY,PROBE');
    expect(parseNeighbourState('[]\n')).toBe('NONE');
    expect(parseNeighbourState('')).toBeUndefined();
  });
});

describe('lookupRoutes', () => {
  it('lists no lookups and fails its source when ip cannot run', async () => {
    const missing: RunTool = async () => {
      throw Object.assign(new Error('spawn ip ENOENT'), { code: 'ENOENT' });
    };
    const reading = await lookupRoutes([{ address: '192.0.2.1', regions: ['a'] }], missing);
    expect(reading.value).toEqual([]);
    expect(reading.sources[0]).toEqual({ source: 'ip -j route get', ok: false, error: 'ENOENT: spawn ip ENOENT' });
  });

  it('looks each address up once, with the regions that use it, and skips what is not an address', async () => {
    const calls: string[][] = [];
    const run: RunTool = async (_name, args) => {
      calls.push([...args]);
      return args.includes('route') ? failed('RTNETLINK answers: Network is unreachable\n') : ok('[]');
    };
    const reading = await lookupRoutes(
      [
        { address: '192.0.2.1', regions: ['a'] },
        { address: '192.0.2.1', regions: ['b'] },
        { address: 'runner.example', regions: ['c'] },
      ],
      run,
    );
    expect(calls).toEqual([['-j', '-4', 'route', 'get', '192.0.2.1']]);
    expect(reading.value).toEqual([
      {
        destination: '192.0.2.1',
        family: 'v4',
        regions: ['a', 'b'],
        result: 'unreachable',
        error: 'Network is unreachable',
      },
    ]);
  });
});

const isRoot = process.getuid?.() === 0;
const namespace = `synack-agent-rt-${process.pid}`;

// Runs against a namespace of its own: routes to region a (192.0.2.0/24, 2001:db8:1::/48) only,
// and prohibit/blackhole routes, as a server that lost its default routes would have.
describe.skipIf(!isRoot)('lookupRoutes in a test namespace (needs root: skipped otherwise)', () => {
  const ip = (...args: string[]) => execFileSync('ip', ['-n', namespace, ...args], { stdio: 'pipe' });
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', namespace]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('link', 'set', 'v0', 'up');
    ip('link', 'set', 'v1', 'up');
    ip('addr', 'add', '203.0.113.10/24', 'dev', 'v0');
    ip('addr', 'add', '2001:db8:5::10/64', 'dev', 'v0', 'nodad');
    ip('route', 'add', '192.0.2.0/24', 'via', '203.0.113.1');
    ip('-6', 'route', 'add', '2001:db8:1::/48', 'via', '2001:db8:5::1');
    ip('route', 'add', 'prohibit', '198.18.0.0/15');
    ip('route', 'add', 'blackhole', '100.64.0.0/10');
    ip('-6', 'route', 'add', 'prohibit', '2001:db8:3::/48');
    ip('neigh', 'add', '203.0.113.1', 'lladdr', '02:00:00:00:00:01', 'dev', 'v0', 'nud', 'permanent');
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' });
  });
  const inNamespace: RunTool = (name, args) => runTool(name, ['-n', namespace, ...args]);

  it('resolves the routed region, and says how the others fail', async () => {
    const reading = await lookupRoutes(
      [
        { address: '192.0.2.2', regions: ['a'] },
        { address: '198.51.100.2', regions: ['b'] },
        { address: '2001:db8:1::2', regions: ['a'] },
        { address: '2001:db8:2::2', regions: ['b'] },
        { address: '198.18.0.9', regions: ['c'] },
        { address: '100.64.0.9', regions: ['d'] },
        { address: '2001:db8:3::9', regions: ['c'] },
        { address: '203.0.113.7', regions: ['lan'] },
        { address: '203.0.113.10', regions: ['self'] },
      ],
      inNamespace,
    );
    expect(reading.sources.every((source) => source.ok)).toBe(true);
    const byAddress = new Map(reading.value.map((lookup) => [lookup.destination, lookup]));
    expect(byAddress.get('192.0.2.2')).toEqual({
      destination: '192.0.2.2',
      family: 'v4',
      regions: ['a'],
      result: 'ok',
      dev: 'v0',
      gateway: '203.0.113.1',
      prefsrc: '203.0.113.10',
      neighbour: 'PERMANENT',
    });
    expect(byAddress.get('198.51.100.2')).toMatchObject({ result: 'unreachable', error: 'Network is unreachable' });
    expect(byAddress.get('2001:db8:1::2')).toMatchObject({
      family: 'v6',
      result: 'ok',
      gateway: '2001:db8:5::1',
      neighbour: 'NONE',
    });
    expect(byAddress.get('2001:db8:2::2')).toMatchObject({ result: 'unreachable', error: 'Network is unreachable' });
    expect(byAddress.get('198.18.0.9')).toMatchObject({ result: 'prohibited', error: 'Permission denied' });
    expect(byAddress.get('100.64.0.9')).toMatchObject({ result: 'blackhole', error: 'Invalid argument' });
    expect(byAddress.get('2001:db8:3::9')).toMatchObject({ result: 'prohibited' });
    // On the link: the neighbour is the destination itself, never resolved yet.
    expect(byAddress.get('203.0.113.7')).toMatchObject({ result: 'ok', dev: 'v0', neighbour: 'NONE' });
    expect(byAddress.get('203.0.113.10')).toEqual({
      destination: '203.0.113.10',
      family: 'v4',
      regions: ['self'],
      result: 'ok',
      dev: 'lo',
      prefsrc: '203.0.113.10',
    });
  });
});
