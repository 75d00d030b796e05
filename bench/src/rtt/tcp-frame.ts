/** The fields of a captured TCP segment that RTT matching needs. */
export type TcpFrame = {
  family: 'v4' | 'v6';
  /** Dotted quad, or IPv6 in RFC 5952 form (what the engine's records use). */
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  /** The TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  flags: number;
};

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_IPV6 = 229;
const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = [0x8100, 0x88a8];
const IPPROTO_TCP = 6;
// IPv6 extension headers with the generic (next header, length in 8-octet units) layout.
const IPV6_EXTENSIONS = new Set([0, 43, 60]);

/**
 * Decodes a captured frame down to its TCP header. Returns `null` for anything else: not IP, not
 * TCP, a non-first fragment, or cut short by the snapshot length.
 */
export function decodeTcpFrame(linkType: number, data: Uint8Array): TcpFrame | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const network = networkLayer(linkType, view);
  if (!network) return null;
  const { etherType, offset } = network;
  if (etherType === ETHERTYPE_IPV4) return decodeIpv4(data, view, offset);
  if (etherType === ETHERTYPE_IPV6) return decodeIpv6(data, view, offset);
  return null;
}

// Where the IP header starts and which protocol it is, per link type.
function networkLayer(linkType: number, view: DataView): { etherType: number; offset: number } | null {
  const length = view.byteLength;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      let offset = 12;
      if (length < offset + 2) return null;
      let etherType = view.getUint16(offset);
      while (ETHERTYPE_VLAN.includes(etherType)) {
        offset += 4;
        if (length < offset + 2) return null;
        etherType = view.getUint16(offset);
      }
      return { etherType, offset: offset + 2 };
    }
    case LINKTYPE_LINUX_SLL:
      return length < 16 ? null : { etherType: view.getUint16(14), offset: 16 };
    case LINKTYPE_LINUX_SLL2:
      return length < 20 ? null : { etherType: view.getUint16(0), offset: 20 };
    case LINKTYPE_RAW: {
      if (length < 1) return null;
      const version = (view.getUint8(0) as number) >> 4;
      return { etherType: version === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4, offset: 0 };
    }
    case LINKTYPE_IPV4:
      return { etherType: ETHERTYPE_IPV4, offset: 0 };
    case LINKTYPE_IPV6:
      return { etherType: ETHERTYPE_IPV6, offset: 0 };
    default:
      return null;
  }
}

function decodeIpv4(data: Uint8Array, view: DataView, offset: number): TcpFrame | null {
  if (view.byteLength < offset + 20) return null;
  const versionIhl = view.getUint8(offset);
  if (versionIhl >> 4 !== 4) return null;
  if (view.getUint8(offset + 9) !== IPPROTO_TCP) return null;
  // Only the first fragment carries the TCP header.
  if ((view.getUint16(offset + 6) & 0x1fff) !== 0) return null;
  const source = data.subarray(offset + 12, offset + 16).join('.');
  const destination = data.subarray(offset + 16, offset + 20).join('.');
  return decodeTcp(view, offset + (versionIhl & 0x0f) * 4, 'v4', source, destination);
}

function decodeIpv6(data: Uint8Array, view: DataView, offset: number): TcpFrame | null {
  if (view.byteLength < offset + 40) return null;
  if (view.getUint8(offset) >> 4 !== 6) return null;
  let next = view.getUint8(offset + 6);
  let at = offset + 40;
  while (IPV6_EXTENSIONS.has(next)) {
    if (view.byteLength < at + 2) return null;
    next = view.getUint8(at);
    at += (view.getUint8(at + 1) + 1) * 8;
  }
  if (next !== IPPROTO_TCP) return null;
  const source = formatIpv6(data.subarray(offset + 8, offset + 24));
  const destination = formatIpv6(data.subarray(offset + 24, offset + 40));
  return decodeTcp(view, at, 'v6', source, destination);
}

function decodeTcp(
  view: DataView,
  offset: number,
  family: TcpFrame['family'],
  source: string,
  destination: string,
): TcpFrame | null {
  if (view.byteLength < offset + 14) return null;
  return {
    family,
    source,
    destination,
    sourcePort: view.getUint16(offset),
    destinationPort: view.getUint16(offset + 2),
    seq: view.getUint32(offset + 4),
    ack: view.getUint32(offset + 8),
    flags: view.getUint8(offset + 13),
  };
}

/** RFC 5952 text: lowercase, no leading zeros, the longest (first) run of ≥ 2 zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
