import { TCP_ACK, TCP_SYN, type TcpFrame } from './tcp-frame.ts';

/** A client SYN seen on the wire and, when it came, the SYN-ACK that acknowledged it. */
export type WireExchange = {
  synNs: bigint;
  seq: number;
  synAckNs: bigint | null;
};

export type WireExchanges = {
  /** By `flowTuple(client, clientPort, server, serverPort)`; ambiguous tuples are left out. */
  exchanges: Map<string, WireExchange>;
  /** 4-tuples that carried more than one SYN: which SYN a SYN-ACK answers would be a guess. */
  ambiguous: Set<string>;
};

/** The key both the capture and the engine's records are looked up by. */
export function flowTuple(client: string, clientPort: number, server: string, serverPort: number): string {
  return `${client}|${clientPort}|${server}|${serverPort}`;
}

/**
 * Pairs each client SYN (SYN without ACK) with the first SYN-ACK on the reversed 4-tuple that
 * acknowledges its ISN + 1. Frames must be in capture order. A 4-tuple that carried two SYNs (a
 * reused source port, or a retransmission) is set aside rather than guessed at.
 */
export function pairWireExchanges(frames: Iterable<{ tsNs: bigint; frame: TcpFrame }>): WireExchanges {
  const exchanges = new Map<string, WireExchange>();
  const ambiguous = new Set<string>();
  for (const { tsNs, frame } of frames) {
    const syn = (frame.flags & TCP_SYN) !== 0;
    const ack = (frame.flags & TCP_ACK) !== 0;
    if (syn && !ack) {
      const key = flowTuple(frame.source, frame.sourcePort, frame.destination, frame.destinationPort);
      if (ambiguous.has(key)) continue;
      if (exchanges.has(key)) {
        exchanges.delete(key);
        ambiguous.add(key);
        continue;
      }
      exchanges.set(key, { synNs: tsNs, seq: frame.seq, synAckNs: null });
    } else if (syn && ack) {
      const key = flowTuple(frame.destination, frame.destinationPort, frame.source, frame.sourcePort);
      const exchange = exchanges.get(key);
      if (exchange && exchange.synAckNs === null && frame.ack === (exchange.seq + 1) >>> 0) exchange.synAckNs = tsNs;
    }
  }
  return { exchanges, ambiguous };
}
