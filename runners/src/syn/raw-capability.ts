import { readFileSync } from 'node:fs';

// capability.h: CAP_NET_RAW is bit 13 of the effective set.
const CAP_NET_RAW_BIT = 13n;

/** The effective capability set in a /proc/<pid>/status text, or `undefined` when absent. */
export function effectiveCapabilities(procStatus: string): bigint | undefined {
  const hex = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(procStatus)?.[1];
  return hex === undefined ? undefined : BigInt(`0x${hex}`);
}

/** Whether a /proc/<pid>/status text grants CAP_NET_RAW in the effective set. */
export function hasCapNetRaw(procStatus: string): boolean {
  return (((effectiveCapabilities(procStatus) ?? 0n) >> CAP_NET_RAW_BIT) & 1n) === 1n;
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
