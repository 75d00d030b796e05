import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { AddressFamily } from './address-family.ts';
import { ErrorCode, SynackError } from './synack-error.ts';

/** A target as the user wrote it: a literal address or a hostname still to resolve, and a port. */
export type Endpoint =
  | { kind: 'address'; host: string; address: string; family: AddressFamily; port: number }
  | { kind: 'hostname'; host: string; port: number };

// RFC 1123 2.1 host names: letters, digits and hyphens per label, no leading/trailing hyphen.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const DOTTED_NUMBERS = /^[0-9.]+$/;

function bad(spec: string, why: string): SynackError {
  return new SynackError(ErrorCode.badTarget, `bad target "${spec}": ${why}`);
}

/** Parses and range-checks a port written as text. */
export function parsePort(text: string, spec: string): number {
  if (!/^[0-9]+$/.test(text)) throw bad(spec, `port must be a number 1..65535, got "${text}"`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw bad(spec, `port must be 1..65535, got ${port}`);
  return port;
}

/**
 * Parses `host:port`, `[v6addr]:port` or `hostname:port`. With `defaultPort` (the CLI's
 * `--port`), the port may be left out: `host`, `[v6addr]`, or a bare IPv6 address. Throws
 * `SYNACK_ERR_BAD_TARGET` with one line naming what was wrong.
 */
export function parseEndpoint(spec: string, defaultPort?: number): Endpoint {
  const text = spec.trim();
  if (text === '') throw bad(spec, 'empty');
  const noPort = defaultPort === undefined ? undefined : String(defaultPort);
  const missing = 'missing ":port" (write host:port or [v6addr]:port, or give --port)';
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw bad(spec, 'missing "]" after the IPv6 address');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === '' && noPort !== undefined) portText = noPort;
    else if (!rest.startsWith(':') || rest.length === 1) throw bad(spec, 'missing ":port" after "]"');
    else portText = rest.slice(1);
    if (isIP(host) !== 6) throw bad(spec, `"${host}" is not an IPv6 address`);
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1 && noPort !== undefined && isIP(text) === 6) {
      host = text;
      portText = noPort;
    } else if (colons === 0) {
      if (noPort === undefined) throw bad(spec, missing);
      host = text;
      portText = noPort;
    } else {
      if (colons > 1) throw bad(spec, 'write IPv6 addresses in brackets: [2001:db8::1]:443');
      const at = text.lastIndexOf(':');
      host = text.slice(0, at);
      portText = text.slice(at + 1);
    }
  }
  const port = parsePort(portText, spec);
  if (host.includes('%')) throw bad(spec, 'IPv6 zone ids (%eth0) are not supported: probe a global address');
  const version = isIP(host);
  if (version === 4 || version === 6) return addressEndpoint(spec, host, port);
  if (DOTTED_NUMBERS.test(host)) throw bad(spec, `"${host}" is not a valid IPv4 address`);
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    throw bad(spec, `"${host}" is neither an IP address nor a valid hostname`);
  }
  return { kind: 'hostname', host: name.toLowerCase(), port };
}

// Destinations a handshake cannot be probed at: the kernel would rewrite them (0.0.0.0 means
// "this host") or refuse a TCP SYN to them, and the two probe kinds would disagree.
const UNPROBEABLE = new Set(['unspecified', 'broadcast', 'multicast']);

function addressEndpoint(spec: string, host: string, port: number): Endpoint {
  let parsed = ipaddr.parse(host);
  // ::ffff:a.b.c.d is an IPv4 host: probe it over IPv4, as connect() would.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  if (UNPROBEABLE.has(range)) throw bad(spec, `${host} is a ${range} address, not a host to probe`);
  const address = parsed.toString();
  return { kind: 'address', host, address, family: parsed.kind() === 'ipv4' ? 'v4' : 'v6', port };
}
