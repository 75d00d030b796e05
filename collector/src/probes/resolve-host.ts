import { lookup } from 'node:dns/promises';
import type { ResolvedAddress } from './authorize-probe.ts';

type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (host) => lookup(host, { all: true, order: 'verbatim' });

const fail = (code: string) => Object.assign(new Error(code), { code });

/**
 * The system resolver (so /etc/hosts counts, as it does for runners), bounded twice: an answer
 * within `timeoutMs` (chat must acknowledge within 3 s), and at most `maxInFlight` lookups at
 * once. `getaddrinfo` runs on libuv's small thread pool and cannot be cancelled: a lookup that
 * timed out still holds its slot until it really ends, so slow names cannot starve the pool.
 */
export function hostResolver(options: { timeoutMs?: number; maxInFlight?: number; lookup?: Lookup } = {}) {
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxInFlight = options.maxInFlight ?? 2;
  const run = options.lookup ?? systemLookup;
  let inFlight = 0;
  return async (host: string): Promise<ResolvedAddress[]> => {
    if (inFlight >= maxInFlight) throw fail('EBUSY');
    inFlight++;
    const answer = run(host).finally(() => {
      inFlight--;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(fail('ETIMEOUT')), timeoutMs);
    });
    try {
      const answers = await Promise.race([answer, timeout]);
      return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
    } finally {
      clearTimeout(timer);
      answer.catch(() => {});
    }
  };
}
