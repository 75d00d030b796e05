/** One line of a tracefs `trace_pipe`: the event's name and its `key=value` fields. */
export interface TraceEvent {
  event: string;
  fields: Record<string, string>;
}

// `<comm>-<pid> [cpu] <flags> <seconds>: <event>: <body>`. The command name may hold spaces and
// dashes, and the flags column goes away with the irq-info option, so anchor on the timestamp.
const LINE = /^.*?\[\d+\]\s.*?(\d+\.\d+):\s+([a-z0-9_]+):\s(.*)$/;
// `key=value`, and kfree_skb's `reason: NOT_SPECIFIED`.
const FIELD = /([a-z_]+)(?:=|: )(\S+)/g;

/**
 * Parses one trace line, e.g.
 * `python3-27151 [001] ..s1. 12047.80: tcp_send_reset: skbaddr=00000000ca9695e6 skaddr=0000000000000000 src=[::1]:9 dest=[::1]:34124 state=UNKNOWN reason=NO_SOCKET`.
 * Returns undefined for comment lines (`# tracer: nop`) and anything else.
 */
export function parseTraceLine(line: string): TraceEvent | undefined {
  if (line.startsWith('#')) return undefined;
  const match = LINE.exec(line);
  if (!match) return undefined;
  const [, , event = '', body = ''] = match;
  const fields: Record<string, string> = {};
  for (const [, key = '', value = ''] of body.matchAll(FIELD)) fields[key] = value;
  return { event, fields };
}
