import type { DiagnosisRecord } from '@synack/collector/diagnosis/diagnosis-state';
import type { Verdict } from '@synack/shared/verdict';

const SUMMARY: Record<Verdict, string> = {
  ok: 'Handshakes complete.',
  port_closed: 'The server answers RST: nothing listens on the port.',
  listener_family_mismatch: 'The service listens, but not for this address family.',
  firewall_reject: 'A firewall rejects the connections (a forged RST or ICMP admin-prohibited).',
  server_firewall_drop: "The server's firewall drops the SYNs without a word.",
  server_no_route_to_client:
    'The SYNs reach the server, but it has no route back to the runners, so its kernel drops them without a SYN-ACK.',
  server_nexthop_dead: "The server's route back points at a next hop that does not answer ARP/ND.",
  accept_queue_overflow: "The listener's accept queue is full: the application does not accept() fast enough.",
  syn_queue_overflow: 'The SYN queue is full and SYN cookies are off: new SYNs are dropped.',
  rp_filter_drop: 'Reverse-path filtering on the server drops the SYNs.',
  conntrack_drop: 'The conntrack table is full: new connections are dropped.',
  return_path_drop: 'The server answers, but its SYN-ACKs never reach the runners.',
  network_path_drop: 'The SYNs are lost before they reach the server.',
  host_down: 'The server does not answer at all: a router reports it unreachable.',
  runner_fault: 'The runner cannot probe: the problem is on the probing side.',
  unknown: 'The evidence does not name a cause. Here is what was seen.',
};

const family = (f: string) => (f === 'v4' ? 'IPv4' : 'IPv6');
const clock = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** `synack diagnose` for people: the verdict in words, where it applies, the evidence, what to do. Pure. */
export function formatDiagnosis(record: DiagnosisRecord | null, target: string, nowMs: number): string {
  if (!record) return `${target}: no diagnosis (no failure seen yet)`;
  const scope = `${record.scope.families.map(family).join(' and ') || 'no family'}; region${record.scope.regions.length === 1 ? '' : 's'} ${record.scope.regions.join(', ') || '-'}`;
  const when =
    record.status === 'open'
      ? `open since ${clock(record.openedAtMs)} UTC (${Math.round((nowMs - record.openedAtMs) / 1000)} s)`
      : `resolved at ${clock(record.resolvedAtMs ?? record.updatedAtMs)} UTC, after ${Math.round(((record.resolvedAtMs ?? record.updatedAtMs) - record.openedAtMs) / 1000)} s`;
  const widths = [
    Math.max(...record.evidence.map((e) => e.source.length), 0),
    Math.max(...record.evidence.map((e) => e.fact.length), 0),
  ];
  const lines = [
    `${target}: ${record.verdict}  (${scope})  ${when}`,
    `  ${SUMMARY[record.verdict]}`,
    '',
    'Evidence:',
    ...record.evidence.map(
      (e) => `  ${e.source.padEnd(widths[0] ?? 0)}  ${e.fact.padEnd(widths[1] ?? 0)}  ${String(e.value)}`,
    ),
    '',
    `Next: ${record.next}`,
  ];
  return lines.join('\n');
}
