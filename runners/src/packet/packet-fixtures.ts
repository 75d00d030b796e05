import { addressToBytes } from './ip-address-bytes.ts';
import { tcpChecksum } from './syn-encoder.ts';

/** Test-only builders for packets the kernel would hand us: replies, ICMP errors and junk. */

export type SegmentFields = {
  from: string;
  to: string;
  sourcePort: number;
  destinationPort: number;
  seq?: number;
  ack?: number;
  flags: number;
  window?: number;
  /** Raw option bytes (padded to 4 by the builder). */
  options?: number[];
  ttl?: number;
  corruptChecksum?: boolean;
};

/** A TCP segment, with its IPv4 header for v4 (as raw IPv4 sockets deliver) and bare for v6. */
export function buildSegment(f: SegmentFields): Buffer {
  const options = [...(f.options ?? [])];
  while (options.length % 4) options.push(0);
  const tcpLength = 20 + options.length;
  const v4 = !f.from.includes(':');
  const ipLength = v4 ? 20 : 0;
  const buf = Buffer.alloc(ipLength + tcpLength);
  const src = addressToBytes(f.from);
  const dst = addressToBytes(f.to);
  if (v4) {
    buf[0] = 0x45;
    buf.writeUInt16BE(buf.length, 2);
    buf[8] = f.ttl ?? 64;
    buf[9] = 6;
    buf.set(src, 12);
    buf.set(dst, 16);
  }
  const t = ipLength;
  buf.writeUInt16BE(f.sourcePort, t);
  buf.writeUInt16BE(f.destinationPort, t + 2);
  buf.writeUInt32BE((f.seq ?? 1000) >>> 0, t + 4);
  buf.writeUInt32BE((f.ack ?? 0) >>> 0, t + 8);
  buf[t + 12] = (tcpLength / 4) << 4;
  buf[t + 13] = f.flags;
  buf.writeUInt16BE(f.window ?? 65160, t + 14);
  Buffer.from(options).copy(buf, t + 20);
  const sum = tcpChecksum(src, dst, buf, t, buf.length);
  buf.writeUInt16BE(f.corruptChecksum ? sum ^ 0xffff : sum, t + 16);
  return buf;
}

/** An ICMP (with outer IPv4 header) or bare ICMPv6 error quoting `quoted` (a SYN as we sent it). */
export function buildIcmpError(
  from: string,
  type: number,
  code: number,
  quoted: Buffer,
  quotedV6Header?: Buffer,
): Buffer {
  const v4 = !from.includes(':');
  const body = v4 ? quoted : Buffer.concat([quotedV6Header ?? Buffer.alloc(40), quoted]);
  const icmp = Buffer.alloc(8 + body.length);
  icmp[0] = type;
  icmp[1] = code;
  body.copy(icmp, 8);
  if (!v4) return icmp;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + icmp.length, 2);
  ip[8] = 63;
  ip[9] = 1;
  ip.set(addressToBytes(from), 12);
  return Buffer.concat([ip, icmp]);
}

/** The 40-byte IPv6 header of a TCP packet from `from` to `to`, as an ICMPv6 error quotes it. */
export function ipv6Header(from: string, to: string, payloadLength: number): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(payloadLength, 4);
  h[6] = 6;
  h[7] = 64;
  h.set(addressToBytes(from), 8);
  h.set(addressToBytes(to), 24);
  return h;
}
