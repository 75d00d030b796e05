import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { AllowRule } from './config/synack-config.ts';

/** Answers "may a runner probe this address and port?" for one compiled allow-list. */
export type AllowMatcher = (address: string, port: number) => boolean;

type PortRanges = readonly (readonly [number, number])[];
type V4Rule = { net: number; mask: number; ports: PortRanges };
type V6Rule = { parts: readonly number[]; prefix: number; ports: PortRanges };

const PORTS_HINT = 'expected ports like "443", "80,443" or "8000-8100"';
const RANGE = /^([0-9]+)(?:\s*-\s*([0-9]+))?$/;

/**
 * Parses an allow rule's ports: `"443"`, `"80,443,8000-8100"`, `"1-65535"`, or a YAML number
 * `443`, into inclusive `[first, last]` ranges in the order written. Returns an error message
 * (a string) when the text is not valid, so the caller can attach it to its own path.
 */
export function parsePortRanges(text: string | number): [number, number][] | string {
  if (typeof text === 'number') {
    if (!Number.isInteger(text) || text < 1 || text > 65535) return `expected 1..65535, got ${text}`;
    return [[text, text]];
  }
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const match = RANGE.exec(part.trim());
    if (!match) return `${PORTS_HINT}, got ${JSON.stringify(text)}`;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (const port of [first, last]) {
      if (port < 1 || port > 65535) return `port ${port} is outside 1..65535`;
    }
    if (last < first) return `range ${first}-${last} is reversed (write ${last}-${first})`;
    ranges.push([first, last]);
  }
  return ranges;
}

/**
 * Parses a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a bare address (a single host) to its
 * canonical text. IPv4-mapped IPv6 prefixes (`::ffff:10.0.0.0/104`) become IPv4 ones, since
 * mapped addresses are matched as IPv4. Host bits must be zero: `10.1.2.3/8` is an error rather
 * than silently widened, because in an allow-list a typo must not grant more than was meant.
 */
export function parseCidr(text: string): { ok: true; cidr: string } | { ok: false; message: string } {
  const fail = (why: string) => ({ ok: false as const, message: why });
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(host);
  // isIP (not ipaddr.isValid) so that only plain dotted-quad IPv4 is accepted, not `10.1` or `0x0a.0.0.1`.
  if (version === 0 || host.includes('%'))
    return fail(`expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, got "${text}"`);
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  const prefix = /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= bits)) return fail(`prefix length must be 0..${bits}, got "${text}"`);
  let address = ipaddr.parse(host);
  let length = prefix;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    length = prefix - 96;
  }
  const network = networkOf(address, length);
  if (network.toString() !== address.toString()) {
    return fail(`${text} has host bits set (the network is ${network.toString()}/${length})`);
  }
  return { ok: true, cidr: `${address.toString()}/${length}` };
}

function networkOf(address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv4') return ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`);
  return ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${prefix}`);
}

/**
 * Compiles allow rules into a matcher for the hot path: CIDRs are parsed once into integers, and
 * each call parses only the address. The address must be an IP literal (a hostname, or anything
 * else, is not allowed); an IPv4-mapped IPv6 address is matched as the IPv4 address it carries,
 * as the kernel would send to it. Throws `TypeError` on a rule that `parseCidr` would reject.
 */
export function compileAllowList(rules: readonly AllowRule[]): AllowMatcher {
  const v4: V4Rule[] = [];
  const v6: V6Rule[] = [];
  for (const rule of rules) {
    const parsed = parseCidr(rule.cidr);
    if (!parsed.ok) throw new TypeError(`bad allow rule: ${parsed.message}`);
    const [network, prefix] = ipaddr.parseCIDR(parsed.cidr);
    if (network.kind() === 'ipv4') {
      v4.push({ net: toUint32((network as ipaddr.IPv4).octets), mask: v4Mask(prefix), ports: rule.ports });
    } else {
      v6.push({ parts: (network as ipaddr.IPv6).parts, prefix, ports: rule.ports });
    }
  }
  return (address, port) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
    const version = isIP(address);
    if (version === 4) return matchV4(v4, toUint32(address.split('.').map(Number)), port);
    if (version !== 6) return false;
    const parts = ipaddr.IPv6.parse(address).parts;
    if (isMapped(parts)) return matchV4(v4, ((parts[6] ?? 0) * 0x10000 + (parts[7] ?? 0)) >>> 0, port);
    return v6.some((rule) => inV6(rule, parts) && inPorts(rule.ports, port));
  };
}

const compiled = new WeakMap<readonly AllowRule[], AllowMatcher>();

/**
 * True when some rule covers both the address (an IP literal) and the port. Compiles the rules on
 * each call unless the array is frozen (as a parsed config is), in which case the matcher is
 * cached; on a hot path, prefer holding the result of `compileAllowList`.
 */
export function isAllowed(rules: readonly AllowRule[], address: string, port: number): boolean {
  if (!Object.isFrozen(rules)) return compileAllowList(rules)(address, port);
  let matcher = compiled.get(rules);
  if (matcher === undefined) {
    matcher = compileAllowList(rules);
    compiled.set(rules, matcher);
  }
  return matcher(address, port);
}

function toUint32(octets: readonly number[]): number {
  return (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;
}

// `x << 32` is `x << 0` in JavaScript, so /0 needs its own case.
function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function matchV4(rules: readonly V4Rule[], address: number, port: number): boolean {
  return rules.some((rule) => (address & rule.mask) >>> 0 === rule.net && inPorts(rule.ports, port));
}

// RFC 4291 2.5.5.2: ::ffff:a.b.c.d is an IPv4 host seen through an IPv6 socket.
function isMapped(parts: readonly number[]): boolean {
  return parts[5] === 0xffff && parts.slice(0, 5).every((part) => part === 0);
}

function inV6(rule: V6Rule, parts: readonly number[]): boolean {
  for (let i = 0; i * 16 < rule.prefix; i++) {
    const bits = Math.min(16, rule.prefix - i * 16);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((parts[i] ?? 0) & mask) !== rule.parts[i]) return false;
  }
  return true;
}

function inPorts(ranges: PortRanges, port: number): boolean {
  return ranges.some(([first, last]) => port >= first && port <= last);
}
