import { parseConfig } from '@synack/shared/config/parse-config';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { describe, expect, it } from 'vitest';
import { authorizeProbe, type ResolvedAddress } from './authorize-probe.ts';
import { parseProbeSpec } from './probe-spec.ts';

function config(
  onDemand = 'on_demand: { allow: [{ cidr: 10.1.0.0/16, ports: "443,8000-8100" }, { cidr: "2001:db8:1::/48", ports: 443 }] }',
): SynackConfig {
  const result = parseConfig(
    `regions: [a, b]
allow:
  - { cidr: 10.0.0.0/8, ports: "1-65535" }
  - { cidr: "2001:db8::/32", ports: "1-65535" }
${onDemand}
targets:
  - { name: web, address: 10.0.0.5, port: 443, regions: [a] }
  - { name: api, address: api.internal, port: 8443 }
`,
    'synack.yaml',
    {},
  );
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

const dns: Record<string, ResolvedAddress[]> = {
  'inside.example': [
    { address: '10.1.2.3', family: 4 },
    { address: '2001:db8:1::5', family: 6 },
  ],
  'half-outside.example': [
    { address: '10.1.2.3', family: 4 },
    { address: '10.9.9.9', family: 4 },
  ],
  'mapped.example': [{ address: '::ffff:10.1.0.7', family: 6 }],
  'mapped-outside.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
  'empty.example': [],
};
const resolve = async (host: string) => {
  const answers = dns[host];
  if (!answers) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return answers;
};

async function decide(text: string, c = config()) {
  const spec = parseProbeSpec(text, c.targets);
  if (!spec.ok) return { parse: spec.message };
  return authorizeProbe(spec.spec, c, resolve);
}

describe('on-demand probe policy', () => {
  it('always allows a configured target, by name or by its address and port', async () => {
    for (const text of ['web', '10.0.0.5:443']) {
      const result = await decide(text, config(''));
      expect(result).toMatchObject({ ok: true, probe: { name: 'web', configured: true, defaultRegions: ['a'] } });
    }
    expect(await decide('api', config(''))).toMatchObject({
      ok: true,
      probe: { name: 'api', configured: true, addresses: [], jobTargets: [{ address: 'api.internal' }] },
    });
  });

  it('refuses every other address when on_demand.allow is empty', async () => {
    expect(await decide('10.1.2.3:443', config(''))).toMatchObject({ ok: false, code: 'not_allowed' });
  });

  it('allows an address and port inside the list, probing the literal', async () => {
    const result = await decide('10.1.2.3:8050');
    expect(result).toMatchObject({
      ok: true,
      probe: { name: 'adhoc-10-1-2-3', configured: false, addresses: ['10.1.2.3'] },
    });
    if (!('ok' in result) || !result.ok) throw new Error('expected ok');
    expect(result.probe.jobTargets).toEqual([
      {
        name: 'adhoc-10-1-2-3',
        address: '10.1.2.3',
        port: 8050,
        probes: ['syn', 'connect'],
        families: ['v4'],
        timeoutMs: 3000,
      },
    ]);
  });

  it('checks the port ranges: inside a range, at its ends, and just outside', async () => {
    for (const port of [443, 8000, 8100]) expect(await decide(`10.1.2.3:${port}`)).toMatchObject({ ok: true });
    for (const port of [442, 444, 7999, 8101, 80]) {
      expect(await decide(`10.1.2.3:${port}`)).toMatchObject({ ok: false, code: 'not_allowed' });
    }
    expect(await decide('[2001:db8:1::9]:443')).toMatchObject({ ok: true });
    expect(await decide('[2001:db8:1::9]:8000')).toMatchObject({ ok: false, code: 'not_allowed' });
  });

  it('resolves a name and probes the addresses it gave, never the name', async () => {
    const result = await decide('inside.example:443');
    if (!('ok' in result) || !result.ok) throw new Error(JSON.stringify(result));
    expect(result.probe.jobTargets.map((t) => [t.address, t.families])).toEqual([
      ['10.1.2.3', ['v4']],
      ['2001:db8:1::5', ['v6']],
    ]);
    // The per-target limit counts each address, not the name it was asked by.
    expect(result.probe.rateKeys).toEqual(['10.1.2.3:443', '2001:db8:1::5:443']);
  });

  it('refuses a name of which any address is outside the list, without telling which', async () => {
    expect(await decide('half-outside.example:443')).toEqual({
      ok: false,
      code: 'not_allowed',
      message: 'half-outside.example resolves to an address that is not in on_demand.allow (port 443)',
    });
  });

  it('checks the IPv4 address inside NAT64, SIIT, 6to4 and IPv4-compatible addresses', async () => {
    // Both lists allow every IPv6 address; the IPv4 address carried must be allowed too.
    const wide = config('on_demand: { allow: [{ cidr: "::/0", ports: 443 }, { cidr: 10.1.0.0/16, ports: 443 }] }');
    const open = { ...wide, allow: [...wide.allow, { cidr: '::/0', ports: [[1, 65535]] as [number, number][] }] };
    for (const text of [
      '[64:ff9b::a9fe:a9fe]:443',
      '[64:ff9b:1::a9fe:a9fe]:443',
      '[2002:a9fe:a9fe::1]:443',
      '[::a9fe:a9fe]:443',
      '[::ffff:0:a9fe:a9fe]:443',
    ]) {
      expect(await decide(text, open), text).toMatchObject({
        ok: false,
        code: 'not_allowed',
        message: expect.stringContaining('(it carries 169.254.169.254)'),
      });
    }
    expect(await decide('[64:ff9b::a01:203]:443', open)).toMatchObject({ ok: true });
    expect(await decide('[2001:db8:1::1]:443', open)).toMatchObject({ ok: true });
    expect(await decide('[::1]:443', open)).toMatchObject({ ok: true });
  });

  it('counts one address however it is written', async () => {
    const keys = async (text: string) => {
      const result = await decide(text);
      return 'ok' in result && result.ok ? result.probe.rateKeys : result;
    };
    for (const text of [
      '10.1.2.3:443',
      '[::ffff:10.1.2.3]:443',
      '[::ffff:a01:203]:443',
      '[::FFFF:A01:203]:443',
      '[0::ffff:a01:203]:443',
    ]) {
      expect(await keys(text), text).toEqual(['10.1.2.3:443']);
    }
    expect(await keys('[2001:DB8:1::5]:443')).toEqual(await keys('[2001:db8:1:0::5]:443'));
  });

  it('refuses a name with more addresses than it probes', async () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ address: `10.1.0.${i + 1}`, family: 4 as const }));
    const spec = parseProbeSpec('many.example:443', config().targets);
    if (!spec.ok) throw new Error(spec.message);
    expect(await authorizeProbe(spec.spec, config(), async () => many)).toMatchObject({
      ok: false,
      message: 'many.example resolves to 9 addresses; at most 8 are probed on demand',
    });
  });

  it('reads IPv4-mapped IPv6 addresses as the IPv4 address they carry', async () => {
    expect(await decide('[::ffff:10.1.0.7]:443')).toMatchObject({ ok: true, probe: { addresses: ['10.1.0.7'] } });
    expect(await decide('[::ffff:127.0.0.1]:443')).toMatchObject({ ok: false, code: 'not_allowed' });
    expect(await decide('[::ffff:a01:7]:443')).toMatchObject({ ok: true, probe: { addresses: ['10.1.0.7'] } });
    expect(await decide('mapped.example:443')).toMatchObject({
      ok: true,
      probe: { jobTargets: [{ address: '10.1.0.7', families: ['v4'] }] },
    });
    expect(await decide('mapped-outside.example:443')).toMatchObject({ ok: false, code: 'not_allowed' });
  });

  it('refuses decimal, octal and hex IPv4 forms before any lookup', async () => {
    const looked: string[] = [];
    const spy = async (host: string) => {
      looked.push(host);
      return [];
    };
    for (const text of [
      '2130706433:443',
      '0177.0.0.1:443',
      '012.1.2.3:443',
      '0x7f.0.0.1:443',
      '0x0a010203:443',
      '10.1.515:443',
      '167838211:443',
    ]) {
      const spec = parseProbeSpec(text, config().targets);
      expect(spec.ok, text).toBe(false);
      if (spec.ok) await authorizeProbe(spec.spec, config(), spy);
    }
    expect(looked).toEqual([]);
  });

  it('refuses names that do not resolve, or resolve to nothing', async () => {
    expect(await decide('nowhere.example:443')).toMatchObject({ ok: false, code: 'unresolvable' });
    expect(await decide('empty.example:443')).toMatchObject({ ok: false, code: 'unresolvable' });
  });

  it('refuses what on_demand.allow has but the runners do not', async () => {
    const c = config('on_demand: { allow: [{ cidr: 192.0.2.0/24, ports: 443 }] }');
    expect(await decide('192.0.2.1:443', c)).toMatchObject({
      ok: false,
      message: "192.0.2.1 is outside the runners' allow-list (port 443)",
    });
  });

  it('explains what it cannot read', async () => {
    expect(await decide('nosuch')).toEqual({
      parse: 'no configured target is named "nosuch" (give host:port to probe an address)',
    });
    expect(await decide('10.1.2.3')).toHaveProperty('parse', expect.stringContaining('missing ":port"'));
    expect(await decide('10.1.2.3:99999')).toHaveProperty('parse', expect.stringContaining('1..65535'));
    expect(await decide('0.0.0.0:443')).toHaveProperty('parse', expect.stringContaining('unspecified'));
  });
});
