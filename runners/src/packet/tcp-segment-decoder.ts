/** The parts of a received TCP segment that reply matching and reporting use. */
export type TcpSegment = {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Offset of the segment in the buffer it was decoded from, and its length. */
  start: number;
  length: number;
  mss: number | null;
  windowScale: number | null;
  sackPermitted: boolean;
  tsVal: number | null;
  tsEcr: number | null;
};

/**
 * Decodes the TCP header at `bytes[start, end)`. Returns `null` for anything too short or with a
 * data offset that does not fit. Options are parsed like tcp_parse_options(): a malformed option
 * ends parsing, and the options read before it still count.
 */
export function decodeTcpSegment(bytes: Uint8Array, start: number, end: number): TcpSegment | null {
  if (end - start < 20) return null;
  const headerBytes = ((bytes[start + 12] as number) >> 4) * 4;
  if (headerBytes < 20 || start + headerBytes > end) return null;
  const segment: TcpSegment = {
    sourcePort: u16(bytes, start),
    destinationPort: u16(bytes, start + 2),
    seq: u32(bytes, start + 4),
    ack: u32(bytes, start + 8),
    flags: bytes[start + 13] as number,
    window: u16(bytes, start + 14),
    start,
    length: end - start,
    mss: null,
    windowScale: null,
    sackPermitted: false,
    tsVal: null,
    tsEcr: null,
  };
  let i = start + 20;
  const optionsEnd = start + headerBytes;
  while (i < optionsEnd) {
    const kind = bytes[i] as number;
    if (kind === 0) break;
    if (kind === 1) {
      i += 1;
      continue;
    }
    if (i + 1 >= optionsEnd) break;
    const len = bytes[i + 1] as number;
    if (len < 2 || i + len > optionsEnd) break;
    if (kind === 2 && len === 4) segment.mss = u16(bytes, i + 2);
    else if (kind === 3 && len === 3) segment.windowScale = Math.min(bytes[i + 2] as number, 14);
    else if (kind === 4 && len === 2) segment.sackPermitted = true;
    else if (kind === 8 && len === 10) {
      segment.tsVal = u32(bytes, i + 2);
      segment.tsEcr = u32(bytes, i + 6);
    }
    i += len;
  }
  return segment;
}

// Plain byte arithmetic: no DataView to allocate for every packet.
function u16(b: Uint8Array, i: number): number {
  return ((b[i] as number) << 8) | (b[i + 1] as number);
}

function u32(b: Uint8Array, i: number): number {
  return (
    (((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)) >>> 0
  );
}
