import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import { icmpLabel } from '@synack/shared/icmp-meaning';
import { type TraceHop, traceResponder } from '@synack/shared/trace-hops';
import { formatDurationUs } from './format-duration.ts';

function answer(record: SynAttemptRecord): string {
  switch (record.outcome) {
    case 'synack':
      return 'SYN-ACK (port open)';
    case 'rst':
      return 'RST (port closed or rejected)';
    case 'icmp':
      return record.icmp ? `ICMP ${icmpLabel(record.icmp.meaning)} (${record.icmp.type}/${record.icmp.code})` : 'ICMP';
    case 'timeout':
      return '*';
    case 'local_error':
      return `not sent: ${record.error?.message ?? ''}`;
  }
}

/** One line per hop, traceroute style: ` 2  198.51.100.1  0.31 ms  ICMP ttl-exceeded (11/0)`. */
export function formatTraceHop(hop: TraceHop): string {
  const parts = hop.attempts.map((a) => {
    const from = traceResponder(a);
    if (a.outcome === 'timeout') return '*';
    const rtt = a.rttUs === null ? '' : `  ${formatDurationUs(a.rttUs)}`;
    return `${from ?? ''}${rtt}  ${answer(a)}`;
  });
  return `${String(hop.ttl).padStart(2)}  ${parts.join('   ')}`;
}
