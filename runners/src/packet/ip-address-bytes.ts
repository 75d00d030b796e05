import type { AddressFamily } from '@synack/shared/address-family';
import ipaddr from 'ipaddr.js';

/** Address text to network-order bytes (4 for IPv4, 16 for IPv6). Throws on anything else. */
export function addressToBytes(address: string): Uint8Array {
  return Uint8Array.from(ipaddr.parse(address).toByteArray());
}

/** Network-order bytes at `offset` to text; IPv6 in RFC 5952 form, so it compares equal as a string. */
export function bytesToAddress(bytes: Uint8Array, offset: number, family: AddressFamily): string {
  if (family === 'v4') {
    return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
  }
  return ipaddr.fromByteArray(Array.from(bytes.subarray(offset, offset + 16))).toString();
}

const canonicalV6 = new Map<string, string>();

/**
 * Canonical text for an address, so that addresses from the user, the kernel and packet bytes
 * compare equal as strings. IPv4 is returned as is; IPv6 results are cached because the set of
 * peers is small and this runs per received packet.
 */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  let canonical = canonicalV6.get(address);
  if (canonical === undefined) {
    canonical = ipaddr.parse(address).toString();
    if (canonicalV6.size > 65_536) canonicalV6.clear();
    canonicalV6.set(address, canonical);
  }
  return canonical;
}
