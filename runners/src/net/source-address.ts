import { createSocket } from 'node:dgram';
import type { AddressFamily } from '@synack/shared/address-family';

/** The kernel's choice of source address toward a destination, or why there is none. */
export type SourceLookup = { ok: true; address: string } | { ok: false; errno: string; message: string };

/**
 * Asks the kernel which source address it would use toward `destination`: connect() on a UDP
 * socket runs the same route lookup (ip_route_connect()/ip6_dst_lookup()) as a TCP connect, and
 * sends nothing. A missing route shows up here as ENETUNREACH, before any packet is built.
 */
export function lookupSource(family: AddressFamily, destination: string): Promise<SourceLookup> {
  return new Promise((resolve) => {
    const socket = createSocket(family === 'v4' ? 'udp4' : 'udp6');
    const finish = (result: SourceLookup) => {
      socket.close();
      resolve(result);
    };
    const failed = (error: NodeJS.ErrnoException) =>
      finish({ ok: false, errno: error.code ?? 'EIO', message: error.message });
    socket.once('error', failed);
    // Port 9 (discard) is arbitrary: UDP connect() only routes, it never sends. Node hands a
    // connect() failure to this callback, not to 'error'.
    socket.connect(9, destination, (error?: Error) => {
      if (error) failed(error);
      else finish({ ok: true, address: socket.address().address });
    });
  });
}

type CacheEntry = { at: number; result: Promise<SourceLookup>; settled?: SourceLookup };

/**
 * Caches route lookups per destination for `ttlMs`, so thousands of probes to one host cost one
 * lookup, while route changes are still seen within seconds.
 */
export class SourceResolver {
  private readonly caches = { v4: new Map<string, CacheEntry>(), v6: new Map<string, CacheEntry>() };
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs = 2000, now: () => number = performance.now.bind(performance)) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  lookup(family: AddressFamily, destination: string): Promise<SourceLookup> {
    const cache = this.caches[family];
    const now = this.now();
    const hit = cache.get(destination);
    if (hit && now - hit.at < this.ttlMs) return hit.result;
    const entry: CacheEntry = { at: now, result: lookupSource(family, destination) };
    entry.result.then((settled) => {
      entry.settled = settled;
    });
    if (cache.size > 10_000) cache.clear();
    cache.set(destination, entry);
    return entry.result;
  }

  /** A fresh lookup that has already completed, without waiting; otherwise `undefined`. */
  cached(family: AddressFamily, destination: string): SourceLookup | undefined {
    // One map per family: no key string to build on this per-attempt path.
    const hit = this.caches[family].get(destination);
    return hit && this.now() - hit.at < this.ttlMs ? hit.settled : undefined;
  }
}
