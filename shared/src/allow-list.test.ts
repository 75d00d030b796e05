import { describe, expect, it } from 'vitest';
import { compileAllowList, isAllowed, parseCidr, parsePortRanges } from './allow-list.ts';
import type { AllowRule } from './config/synack-config.ts';

describe('parsePortRanges', () => {
  it.each([
    ['443', [[443, 443]]],
    ['1-65535', [[1, 65535]]],
    [
      '80,443,8000-8100',
      [
        [80, 80],
        [443, 443],
        [8000, 8100],
      ],
    ],
    [
      ' 80 , 8000 - 8100 ',
      [
        [80, 80],
        [8000, 8100],
      ],
    ],
    ['7-7', [[7, 7]]],
    [443, [[443, 443]]],
  ] as const)('parses %j', (text, ranges) => {
    expect(parsePortRanges(text)).toEqual(ranges);
  });

  it.each([
    ['0', 'port 0 is outside 1..65535'],
    ['65536', 'port 65536 is outside 1..65535'],
    ['1-70000', 'port 70000 is outside 1..65535'],
    ['9-3', 'range 9-3 is reversed (write 3-9)'],
    ['abc', 'expected ports like "443", "80,443" or "8000-8100", got "abc"'],
    ['', 'expected ports like "443", "80,443" or "8000-8100", got ""'],
    ['80,', 'expected ports like "443", "80,443" or "8000-8100", got "80,"'],
    ['-5', 'expected ports like "443", "80,443" or "8000-8100", got "-5"'],
    [0, 'expected 1..65535, got 0'],
    [443.5, 'expected 1..65535, got 443.5'],
  ] as const)('rejects %j', (text, message) => {
    expect(parsePortRanges(text)).toBe(message);
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.7', '192.0.2.7/32'],
    ['2001:0DB8::/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
  ])('canonicalizes %s to %s', (text, cidr) => {
    expect(parseCidr(text)).toEqual({ ok: true, cidr });
  });

  it.each([
    ['10.0.0.0/33', 'prefix length must be 0..32, got "10.0.0.0/33"'],
    ['2001:db8::/129', 'prefix length must be 0..128, got "2001:db8::/129"'],
    ['10.0.0.0/', 'prefix length must be 0..32, got "10.0.0.0/"'],
    ['10.1.2.3/8', '10.1.2.3/8 has host bits set (the network is 10.0.0.0/8)'],
    ['10.1/16', 'expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, got "10.1/16"'],
    ['fe80::%eth0/64', 'expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, got "fe80::%eth0/64"'],
  ])('rejects %s', (text, message) => {
    expect(parseCidr(text)).toEqual({ ok: false, message });
  });
});

const RULES: AllowRule[] = [
  { cidr: '10.0.0.0/8', ports: [[1, 65535]] },
  {
    cidr: '192.0.2.0/24',
    ports: [
      [443, 443],
      [8000, 8100],
    ],
  },
  { cidr: '2001:db8::/32', ports: [[443, 443]] },
  { cidr: '2001:db8:ffff:ffff::1/128', ports: [[22, 22]] },
];

describe('compileAllowList', () => {
  const allowed = compileAllowList(RULES);

  it('matches IPv4 addresses at the edges of the CIDR and of the port ranges', () => {
    expect(allowed('10.0.0.0', 1)).toBe(true);
    expect(allowed('10.255.255.255', 65535)).toBe(true);
    expect(allowed('11.0.0.0', 80)).toBe(false);
    expect(allowed('9.255.255.255', 80)).toBe(false);
    expect(allowed('192.0.2.255', 443)).toBe(true);
    expect(allowed('192.0.2.1', 442)).toBe(false);
    expect(allowed('192.0.2.1', 444)).toBe(false);
    expect(allowed('192.0.2.1', 8000)).toBe(true);
    expect(allowed('192.0.2.1', 8100)).toBe(true);
    expect(allowed('192.0.2.1', 8101)).toBe(false);
    expect(allowed('192.0.3.1', 443)).toBe(false);
  });

  it('matches IPv6 addresses, whatever their spelling', () => {
    expect(allowed('2001:db8::1', 443)).toBe(true);
    expect(allowed('2001:DB8:0:0:0:0:0:1', 443)).toBe(true);
    expect(allowed('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 443)).toBe(true);
    expect(allowed('2001:db9::1', 443)).toBe(false);
    expect(allowed('2001:db8::1', 22)).toBe(false);
    expect(allowed('2001:db8:ffff:ffff::1', 22)).toBe(true);
    expect(allowed('2001:db8:ffff:ffff::2', 22)).toBe(false);
  });

  it('matches IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(allowed('::ffff:10.1.2.3', 22)).toBe(true);
    expect(allowed('::ffff:192.0.2.9', 443)).toBe(true);
    expect(allowed('::ffff:192.0.3.9', 443)).toBe(false);
    // ipaddr.js reads the deprecated IPv4-compatible ::a.b.c.d as mapped too, and so does parseEndpoint.
    expect(allowed('::10.1.2.3', 22)).toBe(true);
    const mappedRule = compileAllowList([{ cidr: '::ffff:192.0.2.0/120', ports: [[80, 80]] }]);
    expect(mappedRule('192.0.2.200', 80)).toBe(true);
  });

  it('handles /0 and host routes', () => {
    const everything = compileAllowList([
      { cidr: '0.0.0.0/0', ports: [[80, 80]] },
      { cidr: '::/0', ports: [[81, 81]] },
    ]);
    expect(everything('255.255.255.255', 80)).toBe(true);
    expect(everything('ffff::1', 81)).toBe(true);
    expect(everything('ffff::1', 80)).toBe(false);
    const host = compileAllowList([{ cidr: '192.0.2.7/32', ports: [[1, 65535]] }]);
    expect(host('192.0.2.7', 1)).toBe(true);
    expect(host('192.0.2.6', 1)).toBe(false);
    expect(host('192.0.2.8', 1)).toBe(false);
  });

  it('allows nothing that is not an IP literal and a valid port', () => {
    expect(allowed('example.com', 443)).toBe(false);
    expect(allowed('10.1', 443)).toBe(false);
    expect(allowed('', 443)).toBe(false);
    expect(allowed('10.0.0.1', 0)).toBe(false);
    expect(allowed('10.0.0.1', 65536)).toBe(false);
    expect(allowed('10.0.0.1', 1.5)).toBe(false);
    expect(compileAllowList([])('10.0.0.1', 80)).toBe(false);
  });

  it('throws on a rule that is not a valid CIDR', () => {
    expect(() => compileAllowList([{ cidr: '10.0.0.0/33', ports: [[1, 1]] }])).toThrow(TypeError);
  });
});

describe('isAllowed', () => {
  it('gives the same answers as the compiled matcher, frozen rules or not', () => {
    for (const rules of [RULES, Object.freeze([...RULES])]) {
      expect(isAllowed(rules, '10.9.8.7', 22)).toBe(true);
      expect(isAllowed(rules, '::ffff:10.9.8.7', 22)).toBe(true);
      expect(isAllowed(rules, '2001:db8::5', 443)).toBe(true);
      expect(isAllowed(rules, '2001:db8::5', 444)).toBe(false);
      expect(isAllowed(rules, '172.16.0.1', 22)).toBe(false);
    }
  });
});
