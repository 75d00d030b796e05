/** The fields of a received IPv4 header that synack reads. */
export type Ipv4Header = {
  headerBytes: number;
  totalLength: number;
  id: number;
  ttl: number;
  protocol: number;
  /** Offsets of the 4-byte source and destination addresses in the buffer. */
  sourceOffset: number;
  destinationOffset: number;
};

/**
 * Decodes the IPv4 header at `bytes[start, end)`; `null` when it is not IPv4 or does not fit.
 * The payload is `[start + headerBytes, min(end, start + totalLength))`.
 */
export function decodeIpv4Header(bytes: Uint8Array, start: number, end: number): Ipv4Header | null {
  if (end - start < 20) return null;
  const b0 = bytes[start] as number;
  if (b0 >> 4 !== 4) return null;
  const headerBytes = (b0 & 0x0f) * 4;
  if (headerBytes < 20 || start + headerBytes > end) return null;
  const totalLength = ((bytes[start + 2] as number) << 8) | (bytes[start + 3] as number);
  if (totalLength < headerBytes) return null;
  return {
    headerBytes,
    totalLength,
    id: ((bytes[start + 4] as number) << 8) | (bytes[start + 5] as number),
    ttl: bytes[start + 8] as number,
    protocol: bytes[start + 9] as number,
    sourceOffset: start + 12,
    destinationOffset: start + 16,
  };
}
