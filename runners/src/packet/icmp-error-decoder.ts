import type { AddressFamily } from '@synack/shared/address-family';
import { IcmpType } from '@synack/shared/icmp-meaning';
import { bytesToAddress } from './ip-address-bytes.ts';
import { decodeIpv4Header } from './ipv4-header-decoder.ts';
import { decodeTcpSegment } from './tcp-segment-decoder.ts';

/** An ICMP error and the TCP SYN it quotes. */
export type IcmpError = {
  type: number;
  code: number;
  /** Destination of the quoted packet: the target we probed. */
  quotedDestination: string;
  quotedSourcePort: number;
  quotedDestinationPort: number;
  quotedSeq: number;
  /** IPv4 identification of the quoted packet (tells retransmissions apart); `null` on IPv6. */
  quotedIpId: number | null;
  /**
   * TSval of the quoted SYN when the quote reaches its options (ICMPv6 quotes up to 1280 bytes,
   * Linux routers quote 576 on IPv4), else `null`: tells retransmissions apart on IPv6 too.
   */
  quotedTsVal: number | null;
};

const PROTO_TCP = 6;
const IPV6_HEADER_BYTES = 40;

function isErrorType(family: AddressFamily, type: number): boolean {
  const t = IcmpType[family];
  return Object.values(t).includes(type as never);
}

/**
 * Decodes an ICMP (IPv4, starting at the ICMP header) or ICMPv6 error message that quotes a TCP
 * segment. `null` for informational messages, truncated quotes, or quotes of anything but TCP.
 * RFC 792 guarantees the quoted IP header plus 8 bytes: ports and sequence number, which is
 * all matching needs.
 */
export function decodeIcmpError(
  family: AddressFamily,
  bytes: Uint8Array,
  start: number,
  end: number,
): IcmpError | null {
  if (end - start < 8) return null;
  const type = bytes[start] as number;
  const code = bytes[start + 1] as number;
  if (!isErrorType(family, type)) return null;
  const q = start + 8;
  let tcp: number;
  let quotedDestination: string;
  let quotedIpId: number | null = null;
  if (family === 'v4') {
    const ip = decodeIpv4Header(bytes, q, end);
    if (!ip || ip.protocol !== PROTO_TCP) return null;
    tcp = q + ip.headerBytes;
    quotedDestination = bytesToAddress(bytes, ip.destinationOffset, 'v4');
    quotedIpId = ip.id;
  } else {
    if (end - q < IPV6_HEADER_BYTES || (bytes[q] as number) >> 4 !== 6) return null;
    // Our SYNs carry no extension headers, so anything else is not ours.
    if (bytes[q + 6] !== PROTO_TCP) return null;
    tcp = q + IPV6_HEADER_BYTES;
    quotedDestination = bytesToAddress(bytes, q + 24, 'v6');
  }
  if (end - tcp < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const quotedSegment = decodeTcpSegment(bytes, tcp, end);
  return {
    type,
    code,
    quotedDestination,
    quotedSourcePort: view.getUint16(tcp),
    quotedDestinationPort: view.getUint16(tcp + 2),
    quotedSeq: view.getUint32(tcp + 4),
    quotedIpId,
    quotedTsVal: quotedSegment?.tsVal ?? null,
  };
}
