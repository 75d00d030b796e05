import { describe, expect, it } from 'vitest';
import { buildSegment } from './packet-fixtures.ts';
import { decodeTcpSegment } from './tcp-segment-decoder.ts';

const synAck = (options: number[]) =>
  buildSegment({
    from: '2001:db8::2',
    to: '2001:db8::1',
    sourcePort: 80,
    destinationPort: 50000,
    flags: 0x12,
    options,
  });

describe('decodeTcpSegment', () => {
  it('reads the options of a typical Linux SYN-ACK', () => {
    const seg = synAck([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7, 1, 3, 3, 7]);
    expect(decodeTcpSegment(seg, 0, seg.length)).toMatchObject({
      flags: 0x12,
      mss: 1460,
      sackPermitted: true,
      tsVal: 9,
      tsEcr: 7,
      windowScale: 7,
    });
  });

  it('rejects buffers shorter than a header or with a data offset past the end', () => {
    const seg = synAck([]);
    expect(decodeTcpSegment(seg, 0, 19)).toBeNull();
    seg[12] = 15 << 4;
    expect(decodeTcpSegment(seg, 0, seg.length)).toBeNull();
    seg[12] = 4 << 4;
    expect(decodeTcpSegment(seg, 0, seg.length)).toBeNull();
  });

  it('keeps options read before a malformed one and stops there', () => {
    const seg = synAck([2, 4, 5, 0x78, 8, 40, 0, 0]);
    expect(decodeTcpSegment(seg, 0, seg.length)).toMatchObject({ mss: 1400, tsVal: null, sackPermitted: false });
  });

  it('ignores options with a wrong length and clamps window scale to 14 (RFC 7323 2.3)', () => {
    const seg = synAck([2, 3, 5, 3, 3, 20, 0, 0]);
    expect(decodeTcpSegment(seg, 0, seg.length)).toMatchObject({ mss: null, windowScale: 14 });
  });
});
