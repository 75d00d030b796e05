/** Counter name (as `nstat` spells it: `TcpExtListenDrops`, `Ip6OutNoRoutes`) → raw value. */
export type Counters = Record<string, number>;

/**
 * Parses the counter files under /proc/net into nstat names. Two layouts exist, and one file uses
 * one of them throughout:
 * - `/proc/net/snmp` and `/proc/net/netstat`: a header line `Tcp: RtoAlgorithm RtoMin ...` then a
 *   value line `Tcp: 1 200 ...` with the same prefix; names join them (`Tcp` + `OutRsts`).
 * - `/proc/net/snmp6`: `Ip6OutNoRoutes   1` lines, already nstat names.
 * Values that are not integers are skipped. Values past 2^53 lose precision; none of the handshake
 * counters get near it.
 */
export function parseProcCounters(text: string): Counters {
  const counters: Counters = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = (lines[i] ?? '').trim().split(/\s+/);
    const head = fields[0] ?? '';
    if (head.endsWith(':')) {
      // A header line; its values are on the next line, under the same prefix.
      const values = (lines[i + 1] ?? '').trim().split(/\s+/);
      if (values[0] !== head) continue;
      i++;
      const prefix = head.slice(0, -1);
      for (let k = 1; k < fields.length && k < values.length; k++) {
        const value = toInteger(values[k]);
        const name = fields[k];
        if (value !== undefined && name) counters[prefix + name] = value;
      }
    } else if (fields.length === 2 && head !== '') {
      const value = toInteger(fields[1]);
      if (value !== undefined) counters[head] = value;
    }
  }
  return counters;
}

function toInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}
