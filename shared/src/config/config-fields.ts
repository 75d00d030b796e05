import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { AddressFamily } from '../address-family.ts';
import { parseCidr, parsePortRanges } from '../allow-list.ts';
import { parseDurationMs } from '../duration.ts';
import { parseEndpoint } from '../parse-endpoint.ts';
import { type PublicKeyEntry, parsePublicKey } from '../signing-key.ts';
import { isSynackError } from '../synack-error.ts';

/** The result of checking one config value: the normalized value, or a message for its path. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** A target or control address: canonical IP text and its family, or a lower-cased hostname (family `null`). */
export type CheckedAddress = { address: string; family: AddressFamily | null };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** How a YAML value reads in a message: `"abc"`, `70000`, `a list`, `a mapping`, `an empty value`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Milliseconds back to the largest whole unit, for messages: 2000 -> `2s`, 1500 -> `1500ms`. */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A duration with a unit (`500ms`, `10s`, `5m`, `1h`) to milliseconds, at least `minMs`. A bare
 * number is refused, unlike on the command line: in a file, `interval: 30` is too easily read as
 * either seconds or milliseconds.
 */
export function checkDuration(minMs: number, maxMs = Number.POSITIVE_INFINITY): (input: unknown) => Checked<number> {
  return (input) => {
    const hint = `expected a duration with a unit like 500ms, 10s or 5m, got ${describeValue(input)}`;
    if (typeof input !== 'string' || !/[a-z]\s*$/.test(input)) return fail(hint);
    const ms = parseDurationMs(input);
    if (ms === undefined) return fail(hint);
    if (ms < minMs)
      return fail(
        minMs <= 1 ? `must be more than 0, got ${input}` : `expected at least ${formatDurationMs(minMs)}, got ${input}`,
      );
    if (ms > maxMs) return fail(`expected at most ${formatDurationMs(maxMs)}, got ${input}`);
    return ok(ms);
  };
}

/** A TCP port, 1..65535, written as a YAML integer. */
export function checkPort(input: unknown): Checked<number> {
  if (typeof input !== 'number') return fail(`expected a port number 1..65535, got ${describeValue(input)}`);
  if (!Number.isInteger(input) || input < 1 || input > 65535) return fail(`expected 1..65535, got ${input}`);
  return ok(input);
}

/** An integer >= 1 (counts, sizes). */
export function checkPositiveInteger(input: unknown): Checked<number> {
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < 1) {
    return fail(`expected a whole number >= 1, got ${describeValue(input)}`);
  }
  return ok(input);
}

/** A number > 0 (rates may be fractional: 0.5 per second is one every 2 s). */
export function checkPositiveNumber(input: unknown): Checked<number> {
  if (typeof input !== 'number' || !Number.isFinite(input) || input <= 0) {
    return fail(`expected a number > 0, got ${describeValue(input)}`);
  }
  return ok(input);
}

/** A string matching `pattern`; `what` says in words what the pattern allows. */
export function checkPattern(pattern: RegExp, what: string): (input: unknown) => Checked<string> {
  return (input) =>
    typeof input === 'string' && pattern.test(input)
      ? ok(input)
      : fail(`expected ${what}, got ${describeValue(input)}`);
}

/**
 * `checkPattern` for a field where a secret is easily pasted by mistake (a token where its
 * SHA-256 goes, a secret where its file's path goes): the message never shows the value.
 */
export function checkPatternUnshown(pattern: RegExp, what: string): (input: unknown) => Checked<string> {
  return (input) =>
    typeof input === 'string' && pattern.test(input)
      ? ok(input)
      : fail(`expected ${what} (the value is not shown: it may be a secret)`);
}

/**
 * An IP literal or an RFC 1123 hostname, with the same rules as the command line (`parseEndpoint`):
 * no zone ids, no unspecified, multicast or broadcast addresses. IPv4-mapped IPv6 becomes IPv4.
 */
export function checkAddress(input: unknown): Checked<CheckedAddress> {
  if (typeof input !== 'string') return fail(`expected an IP address or a hostname, got ${describeValue(input)}`);
  if (input.includes(':') && isIP(input) !== 6) {
    return fail(`expected an IP address or a hostname without a port (the port has its own key), got "${input}"`);
  }
  try {
    // Any port will do: only the host part is checked here; parseEndpoint needs one to run.
    const endpoint = parseEndpoint(input, 1);
    if (endpoint.kind === 'hostname') return ok({ address: endpoint.host, family: null });
    return ok({ address: endpoint.address, family: endpoint.family });
  } catch (error) {
    if (isSynackError(error)) return fail(error.message);
    throw error;
  }
}

/** An allow rule's CIDR to canonical text, via `parseCidr` (host bits must be zero). */
export function checkCidr(input: unknown): Checked<string> {
  if (typeof input !== 'string') return fail(`expected a CIDR like 10.0.0.0/8, got ${describeValue(input)}`);
  const parsed = parseCidr(input);
  return parsed.ok ? ok(parsed.cidr) : fail(parsed.message);
}

/** An allow rule's ports: a string of ranges or a YAML integer, via `parsePortRanges`. */
export function checkPortRanges(input: unknown): Checked<[number, number][]> {
  if (typeof input !== 'string' && typeof input !== 'number') {
    return fail(`expected ports like "443", "80,443" or "8000-8100", got ${describeValue(input)}`);
  }
  const ranges = parsePortRanges(input);
  return typeof ranges === 'string' ? fail(ranges) : ok(ranges);
}

const REDIS_HINT =
  'expected a redis://, rediss://, redis-cluster://, redis-sentinel:// or unix:// URL, or an absolute socket path';

/**
 * A Redis location: `redis://`, `rediss://` or `unix://` URL, `redis-cluster://host:port,…`
 * (seed nodes of a Redis Cluster), `redis-sentinel://host:port,…/master`, or an absolute socket path, which becomes `unix:///path`.
 * Messages never echo the value: it may hold a password.
 */
export function checkRedis(input: unknown): Checked<string> {
  if (typeof input !== 'string') return fail(`${REDIS_HINT}, got ${describeValue(input)}`);
  const sentinel = /^redis-sentinel:\/\/(?:[^@/]*@)?([^/@]+)\/([^/]+)(?:\/\d+)?$/.exec(input);
  if (sentinel) {
    const nodes = (sentinel[1] ?? '').split(',');
    const bad = nodes.some((node) => !URL.canParse(`redis://${node}`) || new URL(`redis://${node}`).hostname === '');
    return bad ? fail('a redis-sentinel:// URL is host:port,host:port/mastername') : ok(input);
  }
  const cluster = /^redis-clusters?:\/\/(?:[^@/]*@)?([^/@]+)$/.exec(input);
  if (cluster) {
    const nodes = (cluster[1] ?? '').split(',');
    const bad = nodes.some((node) => !URL.canParse(`redis://${node}`) || new URL(`redis://${node}`).hostname === '');
    return bad ? fail('a redis-cluster:// URL lists seed nodes as host:port,host:port') : ok(input);
  }
  const text = input.startsWith('/') ? `unix://${input}` : input;
  if (!URL.canParse(text)) return fail(REDIS_HINT);
  const url = new URL(text);
  if (url.protocol === 'unix:') {
    // unix://run/redis.sock parses with "run" as the host, and would silently drop it.
    if (url.host !== '' || url.pathname.length < 2)
      return fail('a unix:// URL needs an absolute path: unix:///run/redis.sock');
    return ok(text);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return fail(REDIS_HINT);
  if (url.hostname === '') return fail(`${REDIS_HINT}; this one has no host`);
  return ok(text);
}

// RFC 1123 2.1, as in parse-endpoint.ts.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const LISTEN_HINT = 'expected host:port like 127.0.0.1:8470 or [::1]:8470';

/**
 * A listening address, `host:port` or `[v6]:port`, to canonical text. Unlike a probe target, the
 * unspecified address (`0.0.0.0`, `[::]`, all interfaces) and port 0 (any free port) are fine.
 */
export function checkListen(input: unknown): Checked<string> {
  if (typeof input !== 'string') return fail(`${LISTEN_HINT}, got ${describeValue(input)}`);
  const bracketed = /^\[([^\]]+)\]:([0-9]+)$/.exec(input);
  const plain = /^([^:[\]]+):([0-9]+)$/.exec(input);
  const [, host = '', portText = ''] = bracketed ?? plain ?? [];
  if (host === '') return fail(`${LISTEN_HINT}, got "${input}"`);
  const port = Number(portText);
  if (port > 65535) return fail(`port must be 0..65535, got ${port}`);
  const version = isIP(host);
  if (bracketed && version !== 6) return fail(`"${host}" is not an IPv6 address`);
  if (version === 6) return ok(`[${ipaddr.parse(host).toString()}]:${port}`);
  if (version === 4) return ok(`${ipaddr.parse(host).toString()}:${port}`);
  if (/^[0-9.]+$/.test(host) || !host.split('.').every((label) => LABEL.test(label))) {
    return fail(`"${host}" is neither an IP address nor a valid hostname`);
  }
  return ok(`${host.toLowerCase()}:${port}`);
}

/** A label value: a string. Numbers are refused rather than converted, since YAML reads `1.10` as 1.1. */
export function checkLabelValue(input: unknown): Checked<string> {
  if (typeof input === 'string') return ok(input);
  return fail(`expected a string (quote numbers and booleans), got ${describeValue(input)}`);
}

/**
 * An SLO objective as a fraction: `99.9%` (a string with `%`) or `99.9` (a number, in percent),
 * strictly between 0 and 100 percent: 100% leaves no error budget to burn.
 */
export function checkObjective(input: unknown): Checked<number> {
  const hint = `expected a percentage like 99.9% (more than 0, less than 100), got ${describeValue(input)}`;
  const text = typeof input === 'number' ? String(input) : typeof input === 'string' ? input.trim() : undefined;
  const match = text === undefined ? null : /^([0-9]+(?:\.[0-9]+)?)%?$/.exec(text);
  if (!match) return fail(hint);
  const percent = Number(match[1]);
  if (!(percent > 0 && percent < 100)) return fail(hint);
  // Percent to a fraction without binary noise: 99.9 -> 0.999, not 0.9990000000000001.
  return ok(Number((percent / 100).toPrecision(12)));
}

/** An environment variable's name (`SYNACK_SLACK_WEBHOOK`): where a secret is read from at run time. */
export function checkEnvName(input: unknown): Checked<string> {
  if (typeof input === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(input)) return ok(input);
  return fail(`expected an environment variable name like SYNACK_SLACK_WEBHOOK, got ${describeValue(input)}`);
}

/** An http(s) URL, e.g. of a webhook. */
export function checkHttpUrl(input: unknown): Checked<string> {
  const hint = `expected an http:// or https:// URL, got ${describeValue(input)}`;
  if (typeof input !== 'string') return fail(hint);
  try {
    const url = new URL(input);
    return url.protocol === 'http:' || url.protocol === 'https:' ? ok(url.href) : fail(hint);
  } catch {
    return fail(hint);
  }
}

/** A rate limit: `10/1m` is 10 per minute (`count/duration`). */
export type Rate = { count: number; perMs: number };

/** A rate like `10/1m` or `100/1h`: a positive whole count per duration. */
export function checkRate(input: unknown): Checked<Rate> {
  const hint = `expected a rate like 10/1m (a count per duration), got ${describeValue(input)}`;
  if (typeof input !== 'string') return fail(hint);
  const match = /^\s*([0-9]{1,6})\s*\/\s*(\S+)\s*$/.exec(input);
  if (!match) return fail(hint);
  const count = Number(match[1]);
  const per = checkDuration(1000, 86_400_000)(match[2]);
  if (count < 1) return fail(`the count must be at least 1, got ${input}`);
  if (!per.ok) return fail(`${per.message} (in ${input})`);
  return ok({ count, perMs: per.value });
}

/** A host name or IP, with an optional port: where replies may be posted (`hooks.slack.com`, `127.0.0.1:8080`). */
export function checkHostPort(input: unknown): Checked<string> {
  const hint = `expected a host like hooks.slack.com or 127.0.0.1:8080, got ${describeValue(input)}`;
  if (typeof input !== 'string' || input.length > 260) return fail(hint);
  try {
    const url = new URL(`http://${input}`);
    if (url.host !== input.toLowerCase() || url.pathname !== '/' || url.username || url.password) return fail(hint);
    return ok(url.host);
  } catch {
    return fail(hint);
  }
}

/** An Ed25519 public key, `ed25519:<base64 of 32 bytes>`, with its key id. Never echoes a bad value. */
export function checkPublicKey(input: unknown): Checked<PublicKeyEntry> {
  const parsed = parsePublicKey(input);
  return parsed.ok ? ok(parsed.entry) : fail(parsed.message);
}
