import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failedSource, type SourceReading } from './source-reading.ts';

/** A sysctl, by the path components under /proc/sys. */
type Key = readonly string[];

// The settings that decide what happens to a SYN and its SYN-ACK:
// - syncookies / max_syn_backlog: what a full SYN queue does (tcp_conn_request()).
// - somaxconn: caps every listen() backlog; abort_on_overflow: RST instead of silence when the
//   accept queue is full (tcp_check_req()).
// - synack_retries: how long a half-open connection is kept.
// - rp_filter: the effective value per interface is max(all, <interface>) (IN_DEV_RPFILTER()).
// - icmp ratelimits: a throttled reject looks like silence.
// - disable_ipv6: an interface without IPv6 drops v6 SYNs before TCP sees them.
const FIXED: readonly Key[] = [
  ['net', 'ipv4', 'tcp_syncookies'],
  ['net', 'ipv4', 'tcp_max_syn_backlog'],
  ['net', 'core', 'somaxconn'],
  ['net', 'ipv4', 'tcp_abort_on_overflow'],
  ['net', 'ipv4', 'tcp_synack_retries'],
  ['net', 'ipv4', 'icmp_ratelimit'],
];
// Absent when IPv6 is disabled at boot or conntrack is not loaded: then left out, not a failure.
const OPTIONAL: readonly Key[] = [
  ['net', 'ipv6', 'icmp', 'ratelimit'],
  ['net', 'netfilter', 'nf_conntrack_count'],
  ['net', 'netfilter', 'nf_conntrack_max'],
];
const PER_INTERFACE: readonly { dir: Key; name: string; optional: boolean }[] = [
  { dir: ['net', 'ipv4', 'conf'], name: 'rp_filter', optional: false },
  { dir: ['net', 'ipv6', 'conf'], name: 'disable_ipv6', optional: true },
];
const MAX_INTERFACES = 256;
const MAX_VALUE_CHARS = 100;

/**
 * Reads the handshake sysctls of the caller's network namespace (net.* under /proc/sys is
 * per-namespace), named as `sysctl` names them: `net.ipv4.tcp_syncookies`,
 * `net.ipv4.conf.eth0.rp_filter` (an interface name's own dots become `/`, as sysctl(8) writes
 * them). Values keep their text (`4096`, `32768 60999`). One status; it fails, listing what
 * could not be read, when a setting every kernel has is missing or unreadable.
 */
export async function readSysctls(procSysDir = '/proc/sys'): Promise<SourceReading<Record<string, string>>> {
  const keys: { key: Key; optional: boolean }[] = [
    ...FIXED.map((key) => ({ key, optional: false })),
    ...OPTIONAL.map((key) => ({ key, optional: true })),
  ];
  const unreadable: string[] = [];
  for (const { dir, name, optional } of PER_INTERFACE) {
    try {
      const interfaces = (await readdir(join(procSysDir, ...dir))).sort().slice(0, MAX_INTERFACES);
      for (const device of interfaces) keys.push({ key: [...dir, device, name], optional });
    } catch (cause) {
      if (!(optional && isMissing(cause))) unreadable.push(`${sysctlName([...dir, '*', name])} (${errorCode(cause)})`);
    }
  }
  const values: Record<string, string> = {};
  await Promise.all(
    keys.map(async ({ key, optional }) => {
      try {
        const text = await readFile(join(procSysDir, ...key), 'utf8');
        values[sysctlName(key)] = text.trim().replace(/\s+/g, ' ').slice(0, MAX_VALUE_CHARS);
      } catch (cause) {
        if (!(optional && isMissing(cause))) unreadable.push(`${sysctlName(key)} (${errorCode(cause)})`);
      }
    }),
  );
  // Promise.all filled `values` in completion order; sort for stable output.
  const sorted = Object.fromEntries(Object.entries(values).sort(([a], [b]) => a.localeCompare(b)));
  const source = join(procSysDir, 'net');
  const status =
    unreadable.length === 0
      ? { source, ok: true }
      : failedSource(source, `cannot read ${unreadable.sort().join(', ')}`);
  return { value: sorted, sources: [status] };
}

function sysctlName(key: Key): string {
  return key.map((part) => part.replaceAll('.', '/')).join('.');
}

function isMissing(cause: unknown): boolean {
  return (cause as NodeJS.ErrnoException).code === 'ENOENT';
}

function errorCode(cause: unknown): string {
  return (cause as NodeJS.ErrnoException).code ?? String(cause);
}
