import { describe, expect, it } from 'vitest';
import { addressToBytes } from './ip-address-bytes.ts';
import { buildIcmpError, buildSegment, ipv6Header } from './packet-fixtures.ts';
import { type FlowIdentity, flowKey, matchIcmpReply, matchTcpReply } from './reply-matcher.ts';
import { encodeSyn } from './syn-encoder.ts';

function flow(source: string, target: string, targetPort: number, sourcePort: number, seq: number): FlowIdentity {
  return {
    targetAddress: target,
    targetPort,
    sourcePort,
    seq,
    sourceBytes: addressToBytes(source),
    targetBytes: addressToBytes(target),
  };
}

function table(...flows: FlowIdentity[]) {
  const map = new Map(flows.map((f) => [flowKey(f.targetPort, f.sourcePort), f]));
  return (key: number) => map.get(key);
}

const v4 = flow('192.0.2.1', '198.51.100.7', 443, 40000, 0xfffffffe);
const v6 = flow('2001:db8::1', '2001:db8:5::10', 8080, 41000, 77);
const lookup = table(v4, v6);

const reply4 = (over: Partial<Parameters<typeof buildSegment>[0]> = {}) =>
  buildSegment({
    from: '198.51.100.7',
    to: '192.0.2.1',
    sourcePort: 443,
    destinationPort: 40000,
    ack: 0xffffffff,
    flags: 0x12,
    ttl: 57,
    options: [2, 4, 5, 0xb4],
    ...over,
  });

const none = new Uint8Array(0);
const tcp4 = (pkt: Buffer) => matchTcpReply('v4', pkt, pkt.length, none, -1, lookup);

describe('matchTcpReply', () => {
  it('matches a SYN-ACK by 4-tuple and ack == isn + 1, wrapping at 2^32', () => {
    const m = tcp4(reply4({ ack: 0xffffffff }));
    expect(m.kind).toBe('synack');
    if (m.kind !== 'synack') return;
    expect(m.probe).toBe(v4);
    expect(m.ttl).toBe(57);
    expect(m.segment.mss).toBe(1460);
    const wrap = flow('192.0.2.1', '198.51.100.7', 443, 40001, 0xffffffff);
    const pkt = reply4({ destinationPort: 40001, ack: 0 });
    expect(matchTcpReply('v4', pkt, pkt.length, none, -1, table(wrap)).kind).toBe('synack');
  });

  it('refuses a SYN-ACK that acknowledges anything else', () => {
    expect(tcp4(reply4({ ack: 0xfffffffe }))).toEqual({ kind: 'stray', reason: 'bad_ack' });
  });

  it('accepts an RST-ACK acking the SYN, and drops a bare RST (RFC 9293 3.10.7.3)', () => {
    expect(tcp4(reply4({ flags: 0x14 })).kind).toBe('rst');
    expect(tcp4(reply4({ flags: 0x04 }))).toEqual({ kind: 'stray', reason: 'unacceptable_rst' });
    expect(tcp4(reply4({ flags: 0x14, ack: 5 }))).toEqual({ kind: 'stray', reason: 'unacceptable_rst' });
  });

  it('ignores packets for other flows, other hosts, corrupted or truncated ones', () => {
    expect(tcp4(reply4({ sourcePort: 444 }))).toEqual({ kind: 'stray', reason: 'unknown_flow' });
    expect(tcp4(reply4({ destinationPort: 40002 }))).toEqual({ kind: 'stray', reason: 'unknown_flow' });
    expect(tcp4(reply4({ to: '192.0.2.99' }))).toEqual({ kind: 'stray', reason: 'wrong_destination' });
    // Same ports, another host: not ours, even though the port pair is in flight.
    expect(tcp4(reply4({ from: '198.51.100.8' }))).toEqual({ kind: 'stray', reason: 'wrong_peer' });
    expect(tcp4(reply4({ flags: 0x10 }))).toEqual({ kind: 'stray', reason: 'unexpected_flags' });
    const pkt = reply4();
    expect(matchTcpReply('v4', pkt, 30, none, -1, lookup)).toEqual({ kind: 'stray', reason: 'malformed' });
    expect(matchTcpReply('v4', Buffer.alloc(0), 0, none, -1, lookup)).toEqual({ kind: 'stray', reason: 'malformed' });
    expect(
      matchTcpReply('v4', Buffer.from('garbage-garbage-garbage-garbage-garbage!'), 40, none, -1, lookup).kind,
    ).toBe('stray');
  });

  it('does not take our own outgoing SYN (seen on loopback) for a reply', () => {
    const own = encodeSyn({
      family: 'v4',
      source: v4.sourceBytes,
      destination: v4.targetBytes,
      sourcePort: 40000,
      destinationPort: 443,
      seq: v4.seq,
      tsVal: 1,
    });
    expect(tcp4(own).kind).toBe('stray');
  });

  it('matches bare IPv6 segments by the peer address bytes, with the hop limit from recvmsg', () => {
    const pkt = buildSegment({
      from: '2001:db8:5::10',
      to: '2001:db8::1',
      sourcePort: 8080,
      destinationPort: 41000,
      ack: 78,
      flags: 0x12,
    });
    const peer = addressToBytes('2001:0db8:0005:0000::0010');
    expect(matchTcpReply('v6', pkt, pkt.length, peer, 61, lookup)).toMatchObject({ kind: 'synack', ttl: 61 });
    expect(matchTcpReply('v6', pkt, pkt.length, peer, -1, lookup)).toMatchObject({ kind: 'synack', ttl: null });
    const other = addressToBytes('2001:db8:5::11');
    expect(matchTcpReply('v6', pkt, pkt.length, other, 61, lookup)).toEqual({ kind: 'stray', reason: 'wrong_peer' });
    expect(matchTcpReply('v6', pkt, pkt.length, none, 61, lookup)).toEqual({ kind: 'stray', reason: 'wrong_peer' });
  });
});

describe('matchIcmpReply', () => {
  const syn4 = encodeSyn({
    family: 'v4',
    source: v4.sourceBytes,
    destination: v4.targetBytes,
    sourcePort: 40000,
    destinationPort: 443,
    seq: v4.seq,
    tsVal: 1,
    ipId: 4242,
  });

  it('attributes an ICMP error to the SYN it quotes, with the sender and the quoted IP id', () => {
    const pkt = buildIcmpError('203.0.113.1', 3, 13, syn4.subarray(0, 28));
    expect(matchIcmpReply('v4', pkt, pkt.length, '203.0.113.1', lookup)).toMatchObject({
      kind: 'icmp',
      type: 3,
      code: 13,
      from: '203.0.113.1',
      quotedIpId: 4242,
      probe: v4,
    });
  });

  it('ignores echo replies, quotes of other flows or ISNs, and truncated quotes', () => {
    const echo = buildIcmpError('203.0.113.1', 0, 0, syn4.subarray(0, 28));
    expect(matchIcmpReply('v4', echo, echo.length, '', lookup)).toEqual({ kind: 'stray', reason: 'not_an_error' });
    const other = Buffer.from(syn4);
    other.writeUInt32BE(12345, 24);
    const wrongSeq = buildIcmpError('203.0.113.1', 11, 0, other.subarray(0, 28));
    expect(matchIcmpReply('v4', wrongSeq, wrongSeq.length, '', lookup)).toEqual({ kind: 'stray', reason: 'wrong_seq' });
    const short = buildIcmpError('203.0.113.1', 3, 1, syn4.subarray(0, 24));
    expect(matchIcmpReply('v4', short, short.length, '', lookup)).toEqual({ kind: 'stray', reason: 'not_an_error' });
  });

  it('decodes ICMPv6 errors that quote the IPv6 header and our SYN', () => {
    const syn6 = encodeSyn({
      family: 'v6',
      source: v6.sourceBytes,
      destination: v6.targetBytes,
      sourcePort: 41000,
      destinationPort: 8080,
      seq: 77,
      tsVal: 1,
    });
    const pkt = buildIcmpError('2001:db8:5::10', 1, 1, syn6, ipv6Header('2001:db8::1', '2001:db8:5::10', 40));
    expect(matchIcmpReply('v6', pkt, pkt.length, '2001:db8:5::10', lookup)).toMatchObject({
      kind: 'icmp',
      type: 1,
      code: 1,
      from: '2001:db8:5::10',
      quotedIpId: null,
      quotedTsVal: 1,
    });
    const ndp = Buffer.from([135, 0, 0, 0, 0, 0, 0, 0]);
    expect(matchIcmpReply('v6', ndp, ndp.length, 'fe80::1', lookup).kind).toBe('stray');
  });
});
