/** One captured frame. `tsNs` is a bigint: epoch nanoseconds exceed 2^53. */
export type PcapPacket = {
  tsNs: bigint;
  /** The captured bytes (at most the snapshot length); a view into the file's buffer. */
  data: Uint8Array;
  /** Length of the frame on the wire, which can exceed `data.length`. */
  originalLength: number;
};

export type PcapCapture = {
  /** From the magic number: what the file's sub-second field counts. */
  precision: 'micro' | 'nano';
  /** LINKTYPE_* value (https://www.tcpdump.org/linktypes.html). */
  linkType: number;
  snapLength: number;
  packets: PcapPacket[];
  /** The file ended inside a record: the writer was killed before it flushed. */
  truncated: boolean;
};

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/**
 * Reads a classic libpcap file (not pcapng), either byte order, microsecond or nanosecond
 * timestamps. Throws on anything that is not such a file; a truncated last record is reported,
 * not thrown, so a capture cut short still yields what it holds.
 */
export function readPcap(bytes: Uint8Array): PcapCapture {
  if (bytes.length < FILE_HEADER) throw new TypeError(`not a pcap file: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The writer stores the magic in its own byte order, so reading it both ways tells the order.
  let little: boolean;
  let precision: PcapCapture['precision'];
  const asLittle = view.getUint32(0, true);
  const asBig = view.getUint32(0, false);
  if (asLittle === MAGIC_MICRO || asLittle === MAGIC_NANO) {
    little = true;
    precision = asLittle === MAGIC_NANO ? 'nano' : 'micro';
  } else if (asBig === MAGIC_MICRO || asBig === MAGIC_NANO) {
    little = false;
    precision = asBig === MAGIC_NANO ? 'nano' : 'micro';
  } else {
    throw new TypeError(`not a classic pcap file (magic 0x${asBig.toString(16).padStart(8, '0')}; pcapng?)`);
  }
  const major = view.getUint16(4, little);
  if (major !== 2) throw new TypeError(`unsupported pcap version ${major}`);
  const snapLength = view.getUint32(16, little);
  // The upper bits of the link-type field may carry an FCS length; the type is the low 16 bits.
  const linkType = view.getUint32(20, little) & 0xffff;
  const scale = precision === 'nano' ? 1n : 1000n;
  const packets: PcapPacket[] = [];
  let offset = FILE_HEADER;
  let truncated = false;
  while (offset < bytes.length) {
    if (offset + RECORD_HEADER > bytes.length) {
      truncated = true;
      break;
    }
    const seconds = view.getUint32(offset, little);
    const fraction = view.getUint32(offset + 4, little);
    const included = view.getUint32(offset + 8, little);
    const originalLength = view.getUint32(offset + 12, little);
    const start = offset + RECORD_HEADER;
    if (start + included > bytes.length) {
      truncated = true;
      break;
    }
    packets.push({
      tsNs: BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * scale,
      data: bytes.subarray(start, start + included),
      originalLength,
    });
    offset = start + included;
  }
  return { precision, linkType, snapLength, packets, truncated };
}
