import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Counters, parseProcCounters } from './parse-proc-counters.ts';
import { failedSource, type SourceReading } from './source-reading.ts';

// snmp: Ip, Icmp, IcmpMsg, Tcp, Udp; netstat: TcpExt, IpExt; snmp6: Ip6, Icmp6, Udp6.
const FILES = ['snmp', 'netstat', 'snmp6'] as const;

/**
 * Reads the raw counters of the calling process's network namespace (/proc/net is
 * /proc/self/net, so an agent started inside a namespace reads that namespace's). Read the files
 * rather than running `nstat`, which rewrites its history file unless given `-s`. `procNetDir`
 * defaults to `/proc/net`. A missing snmp6 (IPv6 disabled) fails its own status only.
 */
export async function readProcCounters(procNetDir = '/proc/net'): Promise<SourceReading<Counters>> {
  const readings = await Promise.all(
    FILES.map(async (name) => {
      const path = join(procNetDir, name);
      try {
        return { counters: parseProcCounters(await readFile(path, 'utf8')), status: { source: path, ok: true } };
      } catch (cause) {
        return { counters: {}, status: failedSource(path, cause) };
      }
    }),
  );
  return {
    value: Object.assign({}, ...readings.map((reading) => reading.counters)),
    sources: readings.map((reading) => reading.status),
  };
}
