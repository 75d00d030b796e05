import type { ProbeTarget } from '@synack/shared/attempt-record';

// The bench server's 100 IPv4 addresses × 1,000 ports (bench/lib/bench-lab.sh).
const ADDRESS_COUNT = 100;
const FIRST_OCTET = 10;
const FIRST_PORT = 10001;
const PORT_COUNT = 1000;

/**
 * The `index`-th bench target. The address varies fastest, so even a short warm-up touches every
 * address (and fills the route cache), and indexes below 100,000 are all distinct 4-tuple
 * destinations: runs given disjoint index ranges never meet their own TIME_WAIT leftovers.
 */
export function benchTarget(index: number): ProbeTarget {
  const address = `192.0.2.${FIRST_OCTET + (index % ADDRESS_COUNT)}`;
  const port = FIRST_PORT + (Math.floor(index / ADDRESS_COUNT) % PORT_COUNT);
  return { name: address, address, port, family: 'v4' };
}
