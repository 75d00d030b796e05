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
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = ((bytes[start + 12] as number) >> 4) * 4;
  if (headerBytes < 20 || start + headerBytes > end) return null;
  const segment: TcpSegment = {
    sourcePort: view.getUint16(start),
    destinationPort: view.getUint16(start + 2),
    seq: view.getUint32(start + 4),
    ack: view.getUint32(start + 8),
    flags: bytes[start + 13] as number,
    window: view.getUint16(start + 14),
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
    if (kind === 2 && len === 4) segment.mss = view.getUint16(i + 2);
    else if (kind === 3 && len === 3) segment.windowScale = Math.min(bytes[i + 2] as number, 14);
    else if (kind === 4 && len === 2) segment.sackPermitted = true;
    else if (kind === 8 && len === 10) {
      segment.tsVal = view.getUint32(i + 2);
      segment.tsEcr = view.getUint32(i + 6);
    }
    i += len;
  }
  return segment;
}
