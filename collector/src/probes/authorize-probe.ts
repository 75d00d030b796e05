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
  /** What the rate limit per target counts: the configured name, or host:port. */
  rateKey: string;
  /** The addresses to be probed (literals), empty for a configured target resolved by runners. */
  addresses: string[];
  jobTargets: Omit<ProbeJobTarget, 'atMs'>[];
  /** Where it is probed from when the request names no region. */
  defaultRegions: readonly string[];
};

/** Why a probe may not run; `code` is stable, `message` is for the requester. */
export type ProbeRefusal = { ok: false; code: 'not_allowed' | 'unresolvable'; message: string };

const AD_HOC_TIMEOUT_MS = 3000;

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
        rateKey: target.name,
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
      message: `only configured targets may be probed on demand (no on_demand.allow in ${config.file}); ${display} is not one`,
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
  for (const { address } of addresses) {
    const where = endpoint.kind === 'hostname' ? `${endpoint.host} resolves to ${address}, which is` : `${address} is`;
    if (!isAllowed(config.onDemand.allow, address, endpoint.port)) {
      return { ok: false, code: 'not_allowed', message: `${where} not in on_demand.allow (port ${endpoint.port})` };
    }
    if (!isAllowed(config.allow, address, endpoint.port)) {
      return {
        ok: false,
        code: 'not_allowed',
        message: `${where} outside the runners' allow-list (port ${endpoint.port})`,
      };
    }
  }
  const name = adHocName(endpoint.host);
  return {
    ok: true,
    probe: {
      name,
      configured: false,
      display,
      rateKey: `${endpoint.host}:${endpoint.port}`,
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

function unmapped(text: string): { address: string; family: AddressFamily } {
  let parsed = ipaddr.parse(text);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return { address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 'v4' : 'v6' };
}
