import { connect } from 'node:net';
import { ATTEMPT_RECORD_VERSION, type ConnectAttemptRecord, type ProbeTarget } from '@synack/shared/attempt-record';
import { classifyErrno } from '@synack/shared/error-type';
import { localErrorFromErrno } from '@synack/shared/local-error';
import { ConnectOutcome } from '@synack/shared/probe-outcome';
import type { SourceResolver } from '../net/source-address.ts';
import { canonicalAddress } from '../packet/ip-address-bytes.ts';
import { nextAttemptId } from '../probe/attempt-id.ts';
import { MAX_TIMER_MS } from '../syn/retransmit-schedule.ts';
import { inferSynRetransmits } from './infer-syn-retransmits.ts';

export type ConnectProbeRequest = {
  target: ProbeTarget;
  /** Give up after this many ms, counted from the connect() call. */
  timeoutMs: number;
};

/**
 * Runs one full TCP handshake with `node:net` and records how it ended. The kernel does the
 * SYN retransmissions; errnos map once onto outcomes and `error.type` (shared/error-type.ts).
 * A local route lookup first separates "this host has no route" (`local_error`) from an
 * ENETUNREACH that a router sent back (`unreachable`).
 */
export async function probeConnect(
  request: ConnectProbeRequest,
  sources: SourceResolver,
): Promise<ConnectAttemptRecord> {
  if (!(request.timeoutMs > 0 && request.timeoutMs <= MAX_TIMER_MS)) {
    throw new RangeError(`timeoutMs must be 1..${MAX_TIMER_MS}, got ${request.timeoutMs}`);
  }
  const origin = performance.now();
  const target = { ...request.target, address: canonicalAddress(request.target.address) };
  const record: ConnectAttemptRecord = {
    v: ATTEMPT_RECORD_VERSION,
    id: nextAttemptId(),
    kind: 'connect',
    target,
    source: null,
    startedAt: new Date().toISOString(),
    synSentUs: [],
    answerUs: null,
    rttUs: null,
    retransmits: 0,
    outcome: ConnectOutcome.timeout,
  };
  const route = await sources.lookup(target.family, target.address);
  if (!route.ok) {
    record.outcome = ConnectOutcome.localError;
    record.error = localErrorFromErrno(route.errno, 'route', target.address);
    return record;
  }
  return new Promise((resolve) => {
    const sentAt = performance.now();
    record.synSentUs = [Math.round((sentAt - origin) * 1000)];
    // No bind() before connect(): a bound socket takes its port at bind time, through a search that
    // avoids ports of recently closed connections and grows costly after tens of thousands of
    // probes; connect() picks a port per 4-tuple. The port is read once connect() has run, which
    // is after Node's own nextTick for a literal address.
    const socket = connect({ host: target.address, port: target.port, family: target.family === 'v4' ? 4 : 6 });
    let sourcePort = 0;
    process.nextTick(() => {
      sourcePort = socket.localPort ?? 0;
    });
    let settled = false;
    const settle = (outcome: ConnectOutcome, error?: { code: string; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const at = performance.now();
      record.outcome = outcome;
      record.source = {
        address: canonicalAddress(socket.localAddress ?? route.address),
        port: socket.localPort ?? sourcePort,
      };
      if (outcome !== ConnectOutcome.timeout) {
        record.answerUs = Math.round((at - origin) * 1000);
        record.rttUs = Math.round((at - sentAt) * 1000);
      }
      record.retransmits = inferSynRetransmits(at - sentAt);
      if (error) record.error = error;
      socket.destroy();
      resolve(record);
    };
    const timer = setTimeout(() => settle(ConnectOutcome.timeout), request.timeoutMs);
    socket.once('connect', () => settle(ConnectOutcome.established));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const errno = error.code ?? 'EIO';
      const { outcome } = classifyErrno(errno);
      // Failures on this host get the same stable code as the SYN engine gives them.
      settle(
        outcome,
        outcome === ConnectOutcome.localError
          ? localErrorFromErrno(errno, 'connect', target.address)
          : { code: errno, message: error.message },
      );
    });
  });
}
