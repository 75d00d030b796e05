import { describe, expect, it } from 'vitest';
import { internetChecksum } from './internet-checksum.ts';
import { addressToBytes } from './ip-address-bytes.ts';
import { encodeSyn, tcpChecksum } from './syn-encoder.ts';
import { decodeTcpSegment } from './tcp-segment-decoder.ts';

const base = {
  sourcePort: 40000,
  destinationPort: 443,
  seq: 0xdeadbeef,
  tsVal: 0x01020304,
};

describe('encodeSyn', () => {
  it('writes an IPv4 SYN byte for byte like a Linux client (golden)', () => {
    const syn = encodeSyn({
      ...base,
      family: 'v4',
      source: addressToBytes('192.0.2.1'),
      destination: addressToBytes('198.51.100.7'),
      ipId: 0x1234,
    });
    expect(syn.toString('hex')).toBe(
      '4500003c1234400040063c4cc0000201c63364079c4001bbdeadbeef00000000a002faf021340000020405b40402080a010203040000000001030307',
    );
  });

  it('writes an IPv6 SYN segment with the pseudo-header checksum (golden)', () => {
    const syn = encodeSyn({
      ...base,
      family: 'v6',
      source: addressToBytes('2001:db8::1'),
      destination: addressToBytes('2001:db8:5::10'),
    });
    expect(syn.toString('hex')).toBe(
      '9c4001bbdeadbeef00000000a002faf0b1fc0000020405a00402080a010203040000000001030307',
    );
  });

  it('produces headers whose checksums verify to zero and options that decode back', () => {
    const source = addressToBytes('10.1.2.3');
    const destination = addressToBytes('10.9.8.7');
    const syn = encodeSyn({ ...base, family: 'v4', source, destination, ttl: 3, mss: 1400, windowScale: 9 });
    expect(internetChecksum(syn.subarray(0, 20))).toBe(0);
    expect(tcpChecksum(source, destination, syn, 20, syn.length)).toBe(0);
    expect(syn[8]).toBe(3);
    const seg = decodeTcpSegment(syn, 20, syn.length);
    expect(seg).toMatchObject({ sourcePort: 40000, destinationPort: 443, seq: 0xdeadbeef, flags: 0x02 });
    expect(seg).toMatchObject({ mss: 1400, windowScale: 9, sackPermitted: true, tsVal: 0x01020304, tsEcr: 0 });
  });

  it('changes the checksum when any covered byte changes', () => {
    const source = addressToBytes('2001:db8::1');
    const a = encodeSyn({ ...base, family: 'v6', source, destination: addressToBytes('2001:db8::2') });
    const b = encodeSyn({ ...base, family: 'v6', source, destination: addressToBytes('2001:db8::3') });
    expect(a.readUInt16BE(16)).not.toBe(b.readUInt16BE(16));
  });
});
