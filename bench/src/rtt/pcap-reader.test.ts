import { describe, expect, it } from 'vitest';
import { readPcap } from './pcap-reader.ts';
import { decodeTcpFrame, formatIpv6, TCP_ACK, TCP_SYN } from './tcp-frame.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

// Ethernet II + IPv4 + TCP SYN with an MSS option: 192.0.2.1:32768 -> 192.0.2.10:10001, seq 0x01020304.
const ETHERNET_V4_SYN = hex(`
  020000000002 020000000001 0800
  4500 002c 1234 4000 4006 0000 c0000201 c000020a
  8000 2711 01020304 00000000 6002 ffff 0000 0000 020405b4`);
// Linux cooked v2 + IPv6 + TCP SYN-ACK: 2001:db8:b::10:10001 -> 2001:db8:b::1:32768, ack 0x01020305.
const SLL2_V6_SYNACK = hex(`
  86dd 0000 0000001f 0001 00 06 020000000002 0000
  6000 0000 0014 0640 20010db8000b00000000000000000010 20010db8000b00000000000000000001
  2711 8000 aabbccdd 01020305 5012 ffff 0000 0000`);
// Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol; then IPv4 TCP RST.
const SLL_V4_RST = hex(`
  0004 0001 0006 020000000001 0000 0800
  4500 0028 0000 4000 4006 0000 c0000201 c000020a
  8000 2711 01020305 00000000 5004 0000 0000 0000`);

// A whole file, byte for byte: big-endian, nanosecond magic, Ethernet, one record.
const BIG_ENDIAN_NANO_FILE = hex(`
  a1b23c4d 0002 0004 00000000 00000000 00040000 00000001
  65000000 3b9ac9ff 0000003a 0000003c
  020000000002 020000000001 0800
  4500 002c 1234 4000 4006 0000 c0000201 c000020a
  8000 2711 01020304 00000000 6002 ffff 0000 0000 020405b4`);

// Builds a file around frames in either byte order; the frames themselves stay golden bytes.
function pcapFile(little: boolean, magic: number, linkType: number, records: [number, number, Uint8Array][]) {
  const size = 24 + records.reduce((sum, [, , frame]) => sum + 16 + frame.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, little);
  view.setUint16(4, 2, little);
  view.setUint16(6, 4, little);
  view.setUint32(16, 262_144, little);
  view.setUint32(20, linkType, little);
  let offset = 24;
  for (const [seconds, fraction, frame] of records) {
    view.setUint32(offset, seconds, little);
    view.setUint32(offset + 4, fraction, little);
    view.setUint32(offset + 8, frame.length, little);
    view.setUint32(offset + 12, frame.length, little);
    bytes.set(frame, offset + 16);
    offset += 16 + frame.length;
  }
  return bytes;
}

describe('readPcap', () => {
  it('reads a big-endian nanosecond file', () => {
    const capture = readPcap(BIG_ENDIAN_NANO_FILE);
    expect(capture).toMatchObject({ precision: 'nano', linkType: 1, snapLength: 262_144, truncated: false });
    expect(capture.packets).toHaveLength(1);
    expect(capture.packets[0]?.tsNs).toBe(1_694_498_816_999_999_999n);
    expect(capture.packets[0]?.originalLength).toBe(60);
    expect(capture.packets[0]?.data).toEqual(ETHERNET_V4_SYN);
  });

  it('reads little-endian microsecond records in order, scaling to nanoseconds', () => {
    const file = pcapFile(true, 0xa1b2c3d4, 1, [
      [1_694_498_816, 123_456, ETHERNET_V4_SYN],
      [1_694_498_816, 123_999, ETHERNET_V4_SYN],
    ]);
    const capture = readPcap(file);
    expect(capture.precision).toBe('micro');
    expect(capture.packets.map((p) => p.tsNs)).toEqual([1_694_498_816_123_456_000n, 1_694_498_816_123_999_000n]);
  });

  it('reads little-endian nanosecond and big-endian microsecond magic', () => {
    expect(readPcap(pcapFile(true, 0xa1b23c4d, 276, [[1, 5, SLL2_V6_SYNACK]])).packets[0]?.tsNs).toBe(1_000_000_005n);
    expect(readPcap(pcapFile(false, 0xa1b2c3d4, 113, [[1, 5, SLL_V4_RST]])).packets[0]?.tsNs).toBe(1_000_005_000n);
  });

  it('reports a truncated last record instead of throwing', () => {
    const file = pcapFile(true, 0xa1b2c3d4, 1, [
      [1, 0, ETHERNET_V4_SYN],
      [2, 0, ETHERNET_V4_SYN],
    ]);
    const capture = readPcap(file.subarray(0, file.length - 10));
    expect(capture.truncated).toBe(true);
    expect(capture.packets).toHaveLength(1);
    expect(readPcap(file.subarray(0, 24 + 16 + ETHERNET_V4_SYN.length + 7)).truncated).toBe(true);
  });

  it('rejects pcapng and short input', () => {
    expect(() => readPcap(hex('0a0d0d0a 0000001c 1a2b3c4d 00010000 ffffffffffffffff 0000001c'))).toThrow(/pcapng/);
    expect(() => readPcap(new Uint8Array(10))).toThrow(/not a pcap/);
  });

  it('reads a file that starts mid-buffer', () => {
    const padded = new Uint8Array(BIG_ENDIAN_NANO_FILE.length + 3);
    padded.set(BIG_ENDIAN_NANO_FILE, 3);
    expect(readPcap(padded.subarray(3)).packets).toHaveLength(1);
  });
});

describe('decodeTcpFrame', () => {
  it('decodes an Ethernet IPv4 SYN', () => {
    expect(decodeTcpFrame(1, ETHERNET_V4_SYN)).toEqual({
      family: 'v4',
      source: '192.0.2.1',
      destination: '192.0.2.10',
      sourcePort: 32768,
      destinationPort: 10001,
      seq: 0x01020304,
      ack: 0,
      flags: TCP_SYN,
    });
  });

  it('decodes a Linux cooked v2 IPv6 SYN-ACK', () => {
    expect(decodeTcpFrame(276, SLL2_V6_SYNACK)).toEqual({
      family: 'v6',
      source: '2001:db8:b::10',
      destination: '2001:db8:b::1',
      sourcePort: 10001,
      destinationPort: 32768,
      seq: 0xaabbccdd,
      ack: 0x01020305,
      flags: TCP_SYN | TCP_ACK,
    });
  });

  it('decodes a Linux cooked v1 IPv4 RST', () => {
    expect(decodeTcpFrame(113, SLL_V4_RST)).toMatchObject({ sourcePort: 32768, seq: 0x01020305, flags: 0x04 });
  });

  it('decodes raw IP and a VLAN tag', () => {
    expect(decodeTcpFrame(101, ETHERNET_V4_SYN.subarray(14))).toMatchObject({ destinationPort: 10001 });
    const tagged = new Uint8Array(ETHERNET_V4_SYN.length + 4);
    tagged.set(ETHERNET_V4_SYN.subarray(0, 12));
    tagged.set(hex('8100 0005'), 12);
    tagged.set(ETHERNET_V4_SYN.subarray(12), 16);
    expect(decodeTcpFrame(1, tagged)).toMatchObject({ sourcePort: 32768, destinationPort: 10001 });
  });

  it('skips IPv6 extension headers', () => {
    // Hop-by-hop header (next = TCP, 8 bytes) between the IPv6 header and TCP.
    const ip = SLL2_V6_SYNACK.subarray(20);
    const frame = new Uint8Array(ip.length + 8);
    frame.set(ip.subarray(0, 40));
    frame[6] = 0;
    frame.set(hex('0600 0000 0000 0000'), 40);
    frame.set(ip.subarray(40), 48);
    expect(decodeTcpFrame(229, frame)).toMatchObject({ sourcePort: 10001, ack: 0x01020305 });
  });

  it('returns null for non-TCP, later fragments, short frames and unknown link types', () => {
    const udp = ETHERNET_V4_SYN.slice();
    udp[14 + 9] = 17;
    expect(decodeTcpFrame(1, udp)).toBeNull();
    const fragment = ETHERNET_V4_SYN.slice();
    fragment[14 + 7] = 0x10;
    expect(decodeTcpFrame(1, fragment)).toBeNull();
    expect(decodeTcpFrame(1, ETHERNET_V4_SYN.subarray(0, 40))).toBeNull();
    const arp = ETHERNET_V4_SYN.slice();
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(decodeTcpFrame(1, arp)).toBeNull();
    expect(decodeTcpFrame(147, ETHERNET_V4_SYN)).toBeNull();
  });
});

describe('formatIpv6', () => {
  it.each([
    ['20010db8000b00000000000000000010', '2001:db8:b::10'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['20010db8000000010000000000000000', '2001:db8:0:1::'],
    // A single zero group stays; the first of two equal runs is compressed.
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    ['20010000000000010000000000010001', '2001::1:0:0:1:1'],
    ['fe80000000000000abcdef0123456789', 'fe80::abcd:ef01:2345:6789'],
  ])('%s -> %s', (bytes, text) => {
    expect(formatIpv6(hex(bytes))).toBe(text);
  });
});
