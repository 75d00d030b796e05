import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AddressFamily } from '@synack/shared/address-family';
import type { ProbeJobTarget } from '@synack/shared/wire/probe-job';
import { canonicalAddress } from '../packet/ip-address-bytes.ts';
import type { Resolution } from './run-probe-job.ts';

type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (host) => lookup(host, { all: true });

/**
 * A job target's addresses: a literal as is, a name through the system resolver at probe time,
 * keeping the wanted families it has (a name with no AAAA is probed over IPv4 only). A name that
 * gives nothing to probe is a `Resolution` failure per family, recorded rather than skipped. The
 * allow-list is checked on these resolved
 * addresses, so a name that starts resolving elsewhere cannot lead a runner outside it.
 */
export async function resolveJobTarget(target: ProbeJobTarget, resolve: Lookup = systemLookup): Promise<Resolution[]> {
  const literal = isIP(target.address);
  if (literal) {
    const family: AddressFamily = literal === 4 ? 'v4' : 'v6';
    const address = canonicalAddress(target.address);
    return [{ ok: true, addresses: [{ name: target.name, address, port: target.port, family }] }];
  }
  let answers: { address: string; family: number }[] = [];
  let failure = '';
  try {
    answers = await resolve(target.address);
  } catch (error) {
    failure = (error as NodeJS.ErrnoException).code ?? 'EAI_FAIL';
  }
  const resolutions: Resolution[] = [];
  for (const family of target.families) {
    const addresses = answers
      .filter((a) => (a.family === 6 ? 'v6' : 'v4') === family)
      .map((a) => ({ name: target.name, address: canonicalAddress(a.address), port: target.port, family }));
    if (addresses.length > 0) resolutions.push({ ok: true, addresses });
  }
  if (resolutions.length > 0) return resolutions;
  // Nothing to probe at all: one failure per wanted family, so it shows up in every series.
  const why = failure || `no ${target.families.map((f) => (f === 'v4' ? 'A' : 'AAAA')).join(' or ')} records`;
  return target.families.map((family) => ({
    ok: false,
    family,
    message: `cannot resolve "${target.address}": ${why}`,
  }));
}
