import { readFileSync } from 'node:fs';

// capability.h: CAP_NET_RAW is bit 13 of the effective set.
const CAP_NET_RAW_BIT = 13n;

/** Whether a /proc/<pid>/status text grants CAP_NET_RAW in the effective set. */
export function hasCapNetRaw(procStatus: string): boolean {
  const match = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(procStatus);
  if (!match?.[1]) return false;
  return ((BigInt(`0x${match[1]}`) >> CAP_NET_RAW_BIT) & 1n) === 1n;
}

/** Reads this process's effective capabilities once; raw SYN probes need CAP_NET_RAW. */
export function detectCapNetRaw(statusPath = '/proc/self/status'): boolean {
  try {
    return hasCapNetRaw(readFileSync(statusPath, 'utf8'));
  } catch {
    return false;
  }
}

/** The one-line explanation shown when raw SYN probes cannot run. */
export const RAW_SOCKET_DENIED_MESSAGE =
  'raw SYN probes need CAP_NET_RAW: run as root, or grant it with `setcap cap_net_raw+ep <node binary>`; connect probes still work';
