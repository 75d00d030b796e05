import type { AddressFamily } from '@synack/shared/address-family';
import { finishChecksum, onesComplementSum } from './internet-checksum.ts';
import { TcpFlag } from './tcp-flags.ts';

/** Everything that varies between the SYNs synack sends. */
export type SynSpec = {
  family: AddressFamily;
  /** 4 (IPv4) or 16 (IPv6) network-order bytes. */
  source: Uint8Array;
  destination: Uint8Array;
  sourcePort: number;
  destinationPort: number;
  /** Initial sequence number (ISN), 32-bit unsigned. */
  seq: number;
  /** RFC 7323 TSval; echoed in the SYN-ACK's TSecr, which tells which SYN was answered. */
  tsVal: number;
  /** IPv4 TTL for the header synack writes itself (IP_HDRINCL). Ignored for IPv6. Default 64. */
  ttl?: number;
  /** IPv4 identification. Default 0 (the kernel then picks one). */
  ipId?: number;
  /** Default 1460 (IPv4) / 1440 (IPv6): a 1500-byte MTU less the headers, as Linux sends. */
  mss?: number;
  /** Default 7, Linux's shift for its default receive buffer. */
  windowScale?: number;
  /** Default 64240, Linux's initial SYN window (44 × 1460). */
  window?: number;
};

export const IPV4_HEADER_BYTES = 20;
/** TCP header with the 20 option bytes a Linux client puts in a SYN. */
export const SYN_TCP_BYTES = 40;
const PROTO_TCP = 6;

/**
 * Encodes a SYN the way a Linux client sends one: options MSS, SACK-permitted, timestamps,
 * NOP, window scale (tcp_options_write() order). IPv4 output starts with a 20-byte IP header
 * for IP_HDRINCL sockets; IPv6 output is the TCP segment only (the kernel adds the header).
 * The TCP checksum covers the RFC 9293 3.1 / RFC 8200 8.1 pseudo-header.
 */
export function encodeSyn(spec: SynSpec): Buffer {
  const buf = Buffer.alloc(synLength(spec.family));
  encodeSynInto(spec, buf);
  return buf;
}

/** Bytes `encodeSyn` writes for a family: IPv4 header and TCP, or TCP alone for IPv6. */
export function synLength(family: SynSpec['family']): number {
  return (family === 'v4' ? IPV4_HEADER_BYTES : 0) + SYN_TCP_BYTES;
}

/**
 * Writes the SYN at the start of `buf` and returns its length. A caller that sends synchronously
 * reuses one buffer (and one spec object) for every SYN: nothing is allocated per probe.
 */
export function encodeSynInto(spec: SynSpec, buf: Buffer): number {
  const v4 = spec.family === 'v4';
  const ipBytes = v4 ? IPV4_HEADER_BYTES : 0;
  const size = ipBytes + SYN_TCP_BYTES;
  if (buf.length < size) throw new RangeError(`encodeSynInto needs ${size} bytes, got ${buf.length}`);
  buf.fill(0, 0, size);
  if (v4) writeIpv4Header(buf, spec);
  const t = ipBytes;
  buf.writeUInt16BE(spec.sourcePort, t);
  buf.writeUInt16BE(spec.destinationPort, t + 2);
  buf.writeUInt32BE(spec.seq >>> 0, t + 4);
  buf.writeUInt32BE(0, t + 8);
  // RFC 9293 3.1: data offset counts 32-bit words.
  buf[t + 12] = (SYN_TCP_BYTES / 4) << 4;
  buf[t + 13] = TcpFlag.syn;
  buf.writeUInt16BE(spec.window ?? 64240, t + 14);
  // checksum (t+16) stays 0 until computed; urgent pointer (t+18) is 0.
  const o = t + 20;
  buf[o] = 2;
  buf[o + 1] = 4;
  buf.writeUInt16BE(spec.mss ?? (v4 ? 1460 : 1440), o + 2);
  buf[o + 4] = 4;
  buf[o + 5] = 2;
  buf[o + 6] = 8;
  buf[o + 7] = 10;
  buf.writeUInt32BE(spec.tsVal >>> 0, o + 8);
  buf.writeUInt32BE(0, o + 12);
  buf[o + 16] = 1;
  buf[o + 17] = 3;
  buf[o + 18] = 3;
  buf[o + 19] = spec.windowScale ?? 7;
  buf.writeUInt16BE(tcpChecksum(spec.source, spec.destination, buf, t, size), t + 16);
  return size;
}

function writeIpv4Header(buf: Buffer, spec: SynSpec): void {
  buf[0] = 0x45;
  buf[1] = 0;
  buf.writeUInt16BE(IPV4_HEADER_BYTES + SYN_TCP_BYTES, 2);
  buf.writeUInt16BE(spec.ipId ?? 0, 4);
  buf.writeUInt16BE(0x4000, 6); // DF, as Linux sets for TCP (path MTU discovery)
  buf[8] = spec.ttl ?? 64;
  buf[9] = PROTO_TCP;
  buf.set(spec.source, 12);
  buf.set(spec.destination, 16);
  buf.writeUInt16BE(finishChecksum(onesComplementSum(buf, 0, IPV4_HEADER_BYTES)), 10);
}

/**
 * TCP checksum of `segment[start, end)` with the pseudo-header for the given addresses. The
 * segment's own checksum field must be zero, or the result is 0 when that field is correct.
 */
export function tcpChecksum(
  source: Uint8Array,
  destination: Uint8Array,
  segment: Uint8Array,
  start: number,
  end: number,
): number {
  const length = end - start;
  let sum = onesComplementSum(source) + onesComplementSum(destination);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, three zero bytes, next header.
  // Both sum to the same 16-bit words for segments shorter than 64 KiB.
  sum += PROTO_TCP + (length & 0xffff) + (length >>> 16);
  sum = onesComplementSum(segment, start, end, sum);
  return finishChecksum(sum);
}
