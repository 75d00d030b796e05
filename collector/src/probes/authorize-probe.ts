import { isIP } from 'node:net';
import type { AddressFamily } from '@synack/shared/address-family';
import { isAllowed } from '@synack/shared/allow-list';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { jobTargetOf, type ProbeJobTarget } from '@synack/shared/wire/probe-job';
import ipaddr from 'ipaddr.js';
import type { ProbeSpec } from './probe-spec.ts';

/** An address a name resolved to. */
export type ResolvedAddress = { address: string; family: 4 | 6 };

/** A probe that may run: what goes in the job, and how it is named in replies, limits and the audit log. */
export type AuthorizedProbe = {
  /** The target's name: a configured one, or `adhoc-<host>`. */
  name: string;
  configured: boolean;
  /** As the user named it: `web`, or `api.internal:443`. */
  display: string;
  /**
   * What the per-target rate limit counts: the configured name, or each address probed (canonical,
   * with the port), so that other spellings of one address share its limit.
   */
  rateKeys: string[];
  /** The addresses to be probed (literals), empty for a configured target resolved by runners. */
  addresses: string[];
  jobTargets: Omit<ProbeJobTarget, 'atMs'>[];
  /** Where it is probed from when the request names no region. */
  defaultRegions: readonly string[];
};

/** Why a probe may not run; `code` is stable, `message` is for the requester. */
export type ProbeRefusal = { ok: false; code: 'not_allowed' | 'unresolvable'; message: string };

const AD_HOC_TIMEOUT_MS = 3000;
// A name that resolves to more is refused: each address is probed, so it multiplies the cost.
const MAX_ADDRESSES = 8;

// IPv6 ranges that carry an IPv4 address, which a translator or relay on the path may deliver
// to: NAT64 (RFC 6052, RFC 8215), SIIT (RFC 7915), IPv4-compatible (RFC 4291, deprecated) and
// 6to4 (RFC 3056). Such an address is allowed only if the IPv4 address in it is allowed too.
const EMBEDDED_V4: readonly { prefix: string; at: number }[] = [
  { prefix: '64:ff9b::/96', at: 6 },
  { prefix: '64:ff9b:1::/48', at: 6 },
  { prefix: '::ffff:0:0:0/96', at: 6 },
  { prefix: '::/96', at: 6 },
  { prefix: '2002::/16', at: 1 },
];

/**
 * Decides whether an on-demand probe may run. A configured target may always be probed. Anything
 * else must be inside `on_demand.allow` and the runners' `allow`, port included; a hostname is
 * resolved here and every address it gives must pass, and the job then carries those addresses,
 * never the name, so that a record that changes between this check and the probe (DNS rebinding)
 * cannot lead a runner elsewhere. IPv4-mapped IPv6 addresses are checked and probed as IPv4.
 */
export async function authorizeProbe(
  spec: ProbeSpec,
  config: SynackConfig,
  resolve: (host: string) => Promise<ResolvedAddress[]>,
): Promise<{ ok: true; probe: AuthorizedProbe } | ProbeRefusal> {
  if (spec.kind === 'target') {
    const target = spec.target;
    return {
      ok: true,
      probe: {
        name: target.name,
        configured: true,
        display: target.name,
        rateKeys: [target.name],
        addresses: isIP(target.address) ? [target.address] : [],
        jobTargets: [jobTargetOf(target)],
        defaultRegions: target.regions,
      },
    };
  }
  const { endpoint } = spec;
  const display =
    endpoint.kind === 'address' && endpoint.family === 'v6'
      ? `[${endpoint.host}]:${endpoint.port}`
      : `${endpoint.host}:${endpoint.port}`;
  if (config.onDemand.allow.length === 0) {
    return {
      ok: false,
      code: 'not_allowed',
      message: `only configured targets may be probed on demand (on_demand.allow is empty); ${display} is not one`,
    };
  }
  let found: { address: string; family: AddressFamily }[];
  if (endpoint.kind === 'address') found = [{ address: endpoint.address, family: endpoint.family }];
  else {
    let answers: ResolvedAddress[];
    try {
      answers = await resolve(endpoint.host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return { ok: false, code: 'unresolvable', message: `cannot resolve ${endpoint.host}: ${code}` };
    }
    found = answers.map((answer) => unmapped(answer.address));
    if (found.length === 0) return { ok: false, code: 'unresolvable', message: `${endpoint.host} has no addresses` };
  }
  const addresses = [...new Map(found.map((a) => [a.address, a])).values()];
  if (addresses.length > MAX_ADDRESSES) {
    return {
      ok: false,
      code: 'not_allowed',
      message: `${endpoint.host} resolves to ${addresses.length} addresses; at most ${MAX_ADDRESSES} are probed on demand`,
    };
  }
  for (const { address } of addresses) {
    // A name's addresses are not named: a refusal must not tell a chat user what an internal
    // name resolves to (the audit log has them).
    const what = endpoint.kind === 'hostname' ? `${endpoint.host} resolves to an address that is` : `${address} is`;
    for (const checked of [address, ...embeddedV4(address)]) {
      const carries = checked !== address && endpoint.kind === 'address' ? ` (it carries ${checked})` : '';
      if (!isAllowed(config.onDemand.allow, checked, endpoint.port)) {
        return {
          ok: false,
          code: 'not_allowed',
          message: `${what} not in on_demand.allow (port ${endpoint.port})${carries}`,
        };
      }
      if (!isAllowed(config.allow, checked, endpoint.port)) {
        return {
          ok: false,
          code: 'not_allowed',
          message: `${what} outside the runners' allow-list (port ${endpoint.port})${carries}`,
        };
      }
    }
  }
  const name = adHocName(endpoint.host);
  return {
    ok: true,
    probe: {
      name,
      configured: false,
      display,
      rateKeys: addresses.map((a) => `${a.address}:${endpoint.port}`),
      addresses: addresses.map((a) => a.address),
      jobTargets: addresses.map(({ address, family }) => ({
        name,
        address,
        port: endpoint.port,
        probes: ['syn', 'connect'],
        families: [family],
        timeoutMs: AD_HOC_TIMEOUT_MS,
      })),
      defaultRegions: config.regions,
    },
  };
}

/** Prefixed, so an ad-hoc probe never lands in a configured target's history (as `synack probe` does). */
export function adHocName(host: string): string {
  const slug = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `adhoc-${slug}`.slice(0, 63).replace(/-+$/, '');
}

/** The IPv4 addresses an IPv6 address carries for translators or relays (none for others). */
export function embeddedV4(address: string): string[] {
  if (isIP(address) !== 6) return [];
  const parsed = ipaddr.IPv6.parse(address);
  const found: string[] = [];
  for (const { prefix, at } of EMBEDDED_V4) {
    if (!parsed.match(ipaddr.IPv6.parseCIDR(prefix))) continue;
    const high = parsed.parts[at] ?? 0;
    const low = parsed.parts[at + 1] ?? 0;
    // ::/96 holds :: and ::1, which carry no IPv4 host.
    if (prefix === '::/96' && high === 0) continue;
    found.push(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
  }
  return [...new Set(found)];
}

function unmapped(text: string): { address: string; family: AddressFamily } {
  let parsed = ipaddr.parse(text);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return { address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 'v4' : 'v6' };
}
