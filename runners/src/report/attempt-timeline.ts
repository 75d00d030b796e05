import type { AttemptRecord, SynAttemptRecord } from '@synack/shared/attempt-record';
import { icmpLabel } from '@synack/shared/icmp-meaning';
import { formatDurationUs, formatOffsetUs } from './format-duration.ts';
import { formatEndpoint } from './format-endpoint.ts';

function synSends(record: SynAttemptRecord): string {
  const first = record.synSentUs[0] ?? 0;
  const retries = record.synSentUs.slice(1).map((t) => formatOffsetUs(t - first));
  return retries.length ? `SYN sent, retransmitted at ${retries.join(', ')}` : 'SYN sent';
}

function synTimeline(r: SynAttemptRecord, timeoutMs: number): string {
  const after = r.rttUs === null ? '' : ` after ${formatDurationUs(r.rttUs)}`;
  const which = r.answeredSyn !== null && r.retransmits > 0 ? ` (to SYN #${r.answeredSyn + 1})` : '';
  switch (r.outcome) {
    case 'synack': {
      const s = r.synack;
      const details = s
        ? [
            s.ttl === null ? null : `ttl ${s.ttl}`,
            `win ${s.window}`,
            s.mss === null ? null : `mss ${s.mss}`,
            s.windowScale === null ? null : `ws ${s.windowScale}`,
            s.sackPermitted ? 'sack' : null,
            s.timestamps ? 'ts' : null,
          ]
            .filter(Boolean)
            .join(' ')
        : '';
      return `${synSends(r)}, SYN-ACK${after}${which}  [${details}]`;
    }
    case 'rst':
      return `${synSends(r)}, RST${after}${which}`;
    case 'icmp': {
      const i = r.icmp;
      const what = i ? `ICMP ${icmpLabel(i.meaning)} (${i.type}/${i.code}) from ${i.from}` : 'ICMP error';
      return `${synSends(r)}, ${what}${after}${which}`;
    }
    case 'timeout':
      return `${synSends(r)}, no answer after ${formatDurationUs(timeoutMs * 1000)}`;
    case 'local_error':
      return `SYN not sent: ${r.error?.message ?? 'local error'} [${r.error?.code ?? '?'}]`;
  }
}

function connectTimeline(r: AttemptRecord & { kind: 'connect' }, timeoutMs: number): string {
  const retrans = r.retransmits > 0 ? ` (${r.retransmits} SYN retransmit${r.retransmits > 1 ? 's' : ''})` : '';
  const after = r.rttUs === null ? '' : ` after ${formatDurationUs(r.rttUs)}`;
  switch (r.outcome) {
    case 'established':
      return `connected in ${formatDurationUs(r.rttUs ?? 0)}${retrans}`;
    case 'refused':
      return `connection refused${after}${retrans}`;
    case 'reset':
      return `connection reset${after}${retrans}`;
    case 'unreachable':
      return `unreachable${after}${retrans}: ${r.error?.code ?? ''}`;
    case 'timeout':
      return `connect timed out after ${formatDurationUs(timeoutMs * 1000)}${retrans}`;
    case 'local_error':
      return `not attempted: ${r.error?.message ?? 'local error'} [${r.error?.code ?? '?'}]`;
  }
}

/**
 * One line per attempt for people, e.g.
 * `syn  192.0.2.10:443  from 192.0.2.1:40211  SYN sent, retransmitted at +1.0 s, SYN-ACK after 0.42 ms`.
 */
export function formatAttemptTimeline(record: AttemptRecord, timeoutMs: number): string {
  const to = formatEndpoint(record.target.address, record.target.port);
  const from = record.source ? `from ${formatEndpoint(record.source.address, record.source.port)}` : '';
  const ttl = record.sentTtl === undefined ? '' : ` ttl=${record.sentTtl}`;
  const text = record.kind === 'syn' ? synTimeline(record, timeoutMs) : connectTimeline(record, timeoutMs);
  return `${record.kind.padEnd(7)} ${to.padEnd(22)} ${from.padEnd(30)}${ttl} ${text}`;
}
