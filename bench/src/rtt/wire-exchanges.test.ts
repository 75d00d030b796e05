import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_RST, TCP_SYN, type TcpFrame } from './tcp-frame.ts';
import { flowTuple, pairWireExchanges } from './wire-exchanges.ts';

const client = '192.0.2.1';
const server = '192.0.2.10';
const syn = (port: number, seq: number): TcpFrame => ({
  family: 'v4',
  source: client,
  destination: server,
  sourcePort: port,
  destinationPort: 10001,
  seq,
  ack: 0,
  flags: TCP_SYN,
});
const synAck = (port: number, ack: number): TcpFrame => ({
  family: 'v4',
  source: server,
  destination: client,
  sourcePort: 10001,
  destinationPort: port,
  seq: 7,
  ack,
  flags: TCP_SYN | TCP_ACK,
});
const rst = (port: number, seq: number): TcpFrame => ({ ...syn(port, seq), flags: TCP_RST });

describe('pairWireExchanges', () => {
  it('pairs a SYN with the SYN-ACK that acknowledges ISN + 1, including across the 32-bit wrap', () => {
    const { exchanges, ambiguous } = pairWireExchanges([
      { tsNs: 100n, frame: syn(40000, 0xffffffff) },
      { tsNs: 150n, frame: syn(40001, 5) },
      { tsNs: 160n, frame: synAck(40001, 6) },
      { tsNs: 170n, frame: rst(40001, 6) },
      { tsNs: 180n, frame: synAck(40000, 0) },
      // A later duplicate SYN-ACK (a server retransmission) does not move the first.
      { tsNs: 990n, frame: synAck(40000, 0) },
    ]);
    expect(ambiguous.size).toBe(0);
    expect(exchanges.get(flowTuple(client, 40000, server, 10001))).toEqual({
      synNs: 100n,
      seq: 0xffffffff,
      synAckNs: 180n,
    });
    expect(exchanges.get(flowTuple(client, 40001, server, 10001))?.synAckNs).toBe(160n);
  });

  it('ignores a SYN-ACK with the wrong acknowledgement number', () => {
    const { exchanges } = pairWireExchanges([
      { tsNs: 1n, frame: syn(40000, 10) },
      { tsNs: 2n, frame: synAck(40000, 10) },
    ]);
    expect(exchanges.get(flowTuple(client, 40000, server, 10001))?.synAckNs).toBeNull();
  });

  it('sets aside a 4-tuple that carried two SYNs, however many more follow', () => {
    const { exchanges, ambiguous } = pairWireExchanges([
      { tsNs: 1n, frame: syn(40000, 10) },
      { tsNs: 2n, frame: synAck(40000, 11) },
      { tsNs: 3n, frame: syn(40000, 20) },
      { tsNs: 4n, frame: synAck(40000, 21) },
      { tsNs: 5n, frame: syn(40000, 30) },
    ]);
    expect(exchanges.size).toBe(0);
    expect([...ambiguous]).toEqual([flowTuple(client, 40000, server, 10001)]);
  });
});
