import type { AddressFamily } from '@synack/shared/address-family';
import { decodeIcmpError } from './icmp-error-decoder.ts';
import { bytesToAddress, canonicalAddress } from './ip-address-bytes.ts';
import { decodeIpv4Header } from './ipv4-header-decoder.ts';
import { TcpFlag } from './tcp-flags.ts';
import { decodeTcpSegment, type TcpSegment } from './tcp-segment-decoder.ts';

/** What the matcher needs to know about one SYN in flight. */
export type FlowIdentity = {
  /** Canonical target address, target port and our source port. */
  targetAddress: string;
  targetPort: number;
  sourcePort: number;
  /** Our ISN. */
  seq: number;
  /** Network-order bytes of our source and the target, for checksums. */
  sourceBytes: Uint8Array;
  targetBytes: Uint8Array;
};

/**
 * Key of a flow in the in-flight table: our source port and the target's port, as one number.
 * Numbers, not strings, because this runs per packet; the engine keeps source ports unique per
 * target port, and the matcher then checks the address itself.
 */
export function flowKey(targetPort: number, sourcePort: number): number {
  return sourcePort * 65536 + targetPort;
}

/** Why a received packet was not attributed to any attempt. */
export const StrayReason = {
  malformed: 'malformed',
  notTcp: 'not_tcp',
  unknownFlow: 'unknown_flow',
  wrongDestination: 'wrong_destination',
  wrongPeer: 'wrong_peer',
  badAck: 'bad_ack',
  unacceptableRst: 'unacceptable_rst',
  unexpectedFlags: 'unexpected_flags',
  notAnError: 'not_an_error',
  wrongSeq: 'wrong_seq',
} as const;
export type StrayReason = (typeof StrayReason)[keyof typeof StrayReason];

export type ReplyMatch<P> =
  | { kind: 'synack'; probe: P; segment: TcpSegment; ttl: number | null }
  | { kind: 'rst'; probe: P; segment: TcpSegment }
  | {
      kind: 'icmp';
      probe: P;
      type: number;
      code: number;
      from: string;
      quotedIpId: number | null;
      quotedTsVal: number | null;
    }
  | { kind: 'stray'; reason: StrayReason };

const stray = (reason: StrayReason) => ({ kind: 'stray', reason }) as const;
const PROTO_TCP = 6;

/**
 * Attributes a packet read from a raw TCP socket to the attempt it answers. IPv4 packets start
 * with the IP header; IPv6 packets are the bare segment, with the sender's address bytes in
 * `peer` and the hop limit it arrived with in `hopLimit` (-1 when unknown).
 * A SYN-ACK must match the 4-tuple and carry `ack == isn + 1`. An RST is taken only when
 * acceptable in SYN-SENT (RFC 9293 3.10.7.3: ACK bit set and `ack == isn + 1`).
 * Checksums are not verified: on loopback and veth the kernel hands raw sockets segments whose
 * checksum is left to offload (CHECKSUM_PARTIAL), and the random ISN already rules out strays.
 */
export function matchTcpReply<P extends FlowIdentity>(
  family: AddressFamily,
  packet: Uint8Array,
  length: number,
  peer: Uint8Array,
  hopLimit: number,
  lookup: (key: number) => P | undefined,
): ReplyMatch<P> {
  let start = 0;
  let end = length;
  let ttl: number | null = hopLimit >= 0 ? hopLimit : null;
  if (family === 'v4') {
    const ip = decodeIpv4Header(packet, 0, length);
    if (!ip) return stray('malformed');
    if (ip.protocol !== PROTO_TCP) return stray('not_tcp');
    start = ip.headerBytes;
    end = Math.min(length, ip.totalLength);
    ttl = ip.ttl;
  }
  const segment = decodeTcpSegment(packet, start, end);
  if (!segment) return stray('malformed');
  const probe = lookup(flowKey(segment.sourcePort, segment.destinationPort));
  if (!probe) return stray('unknown_flow');
  if (family === 'v4') {
    if (!sameBytes(packet, 12, probe.targetBytes)) return stray('wrong_peer');
    if (!sameBytes(packet, 16, probe.sourceBytes)) return stray('wrong_destination');
  } else if (peer.length !== 16 || !sameBytes(peer, 0, probe.targetBytes)) {
    return stray('wrong_peer');
  }
  const acceptableAck = (segment.flags & TcpFlag.ack) !== 0 && segment.ack === (probe.seq + 1) >>> 0;
  if (segment.flags & TcpFlag.rst) return acceptableAck ? { kind: 'rst', probe, segment } : stray('unacceptable_rst');
  if (segment.flags & TcpFlag.syn && segment.flags & TcpFlag.ack) {
    return acceptableAck ? { kind: 'synack', probe, segment, ttl } : stray('bad_ack');
  }
  return stray('unexpected_flags');
}

/**
 * Attributes a packet read from a raw ICMP (IPv4, with IP header) or ICMPv6 (bare message, `peer`
 * from recvfrom) socket to the attempt whose SYN it quotes: same flow and same ISN.
 */
export function matchIcmpReply<P extends FlowIdentity>(
  family: AddressFamily,
  packet: Uint8Array,
  length: number,
  peer: string,
  lookup: (key: number) => P | undefined,
): ReplyMatch<P> {
  let start = 0;
  let from = peer;
  if (family === 'v4') {
    const ip = decodeIpv4Header(packet, 0, length);
    if (!ip) return stray('malformed');
    start = ip.headerBytes;
    from = bytesToAddress(packet, ip.sourceOffset, 'v4');
  } else {
    from = canonicalAddress(peer);
  }
  const error = decodeIcmpError(family, packet, start, length);
  if (!error) return stray('not_an_error');
  const probe = lookup(flowKey(error.quotedDestinationPort, error.quotedSourcePort));
  if (!probe) return stray('unknown_flow');
  if (error.quotedDestination !== probe.targetAddress) return stray('wrong_peer');
  if (error.quotedSeq !== probe.seq >>> 0) return stray('wrong_seq');
  const { type, code, quotedIpId, quotedTsVal } = error;
  return { kind: 'icmp', probe, type, code, from, quotedIpId, quotedTsVal };
}

function sameBytes(packet: Uint8Array, offset: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (packet[offset + i] !== expected[i]) return false;
  return true;
}
