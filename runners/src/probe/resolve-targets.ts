import { lookup } from 'node:dns/promises';
import type { AddressFamily } from '@synack/shared/address-family';
import type { ProbeTarget } from '@synack/shared/attempt-record';
import type { Endpoint } from '@synack/shared/parse-endpoint';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';

export type FamilyChoice = AddressFamily | 'any';

type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (host) => lookup(host, { all: true, order: 'ipv4first' });

/**
 * Turns a parsed endpoint into concrete targets: a literal address as is, a hostname into each
 * of its A and AAAA addresses (through the system resolver, so /etc/hosts counts), filtered by
 * `-4`/`-6`. Throws `SYNACK_ERR_BAD_TARGET` / `SYNACK_ERR_RESOLVE_FAILED` with one clear line.
 */
export async function resolveTargets(
  endpoint: Endpoint,
  family: FamilyChoice,
  resolve: Lookup = systemLookup,
): Promise<ProbeTarget[]> {
  if (endpoint.kind === 'address') {
    if (family !== 'any' && endpoint.family !== family) {
      throw new SynackError(
        ErrorCode.badTarget,
        `bad target "${endpoint.host}": it is an IP${endpoint.family} address but -${family === 'v4' ? 4 : 6} was given`,
      );
    }
    return [{ name: endpoint.host, address: endpoint.address, port: endpoint.port, family: endpoint.family }];
  }
  let answers: { address: string; family: number }[];
  try {
    answers = await resolve(endpoint.host);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'EAI_FAIL';
    throw new SynackError(ErrorCode.resolveFailed, `cannot resolve "${endpoint.host}": ${code}`, { cause });
  }
  const seen = new Set<string>();
  const targets: ProbeTarget[] = [];
  for (const answer of answers) {
    const fam: AddressFamily = answer.family === 6 ? 'v6' : 'v4';
    if ((family !== 'any' && fam !== family) || seen.has(answer.address)) continue;
    seen.add(answer.address);
    targets.push({ name: endpoint.host, address: answer.address, port: endpoint.port, family: fam });
  }
  if (targets.length === 0) {
    const which = family === 'any' ? 'addresses' : family === 'v4' ? 'IPv4 (A) addresses' : 'IPv6 (AAAA) addresses';
    throw new SynackError(ErrorCode.resolveFailed, `cannot resolve "${endpoint.host}": it has no ${which}`);
  }
  return targets;
}
