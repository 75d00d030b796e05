import { lookup } from 'node:dns/promises';
import type { ResolvedAddress } from './authorize-probe.ts';

const RESOLVE_TIMEOUT_MS = 2000;

/**
 * Every address the system resolver gives for a name, within 2 s: chat must acknowledge within
 * 3 s, and a name that takes longer is reported as not resolving rather than holding the reply.
 */
export async function resolveHost(host: string): Promise<ResolvedAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('ETIMEOUT'), { code: 'ETIMEOUT' })), RESOLVE_TIMEOUT_MS);
  });
  try {
    const answers = await Promise.race([lookup(host, { all: true, order: 'verbatim' }), timeout]);
    return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } finally {
    clearTimeout(timer);
  }
}
