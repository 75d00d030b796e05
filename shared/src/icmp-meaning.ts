import type { AddressFamily } from './address-family.ts';

/**
 * What an ICMP error says about the path, independent of IP version. These names double as the
 * OpenTelemetry `error.type` of an attempt that ended on such an error.
 */
export const IcmpMeaning = {
  networkUnreachable: 'network_unreachable',
  hostUnreachable: 'host_unreachable',
  adminProhibited: 'admin_prohibited',
  portUnreachable: 'port_unreachable',
  protocolUnreachable: 'protocol_unreachable',
  packetTooBig: 'packet_too_big',
  ttlExceeded: 'ttl_exceeded',
  parameterProblem: 'parameter_problem',
  sourceRouteFailed: 'source_route_failed',
  other: 'icmp_error',
} as const;
export type IcmpMeaning = (typeof IcmpMeaning)[keyof typeof IcmpMeaning];

const m = IcmpMeaning;

// RFC 792 and RFC 1812 5.2.7.1: destination-unreachable codes.
const V4_UNREACH: Record<number, IcmpMeaning> = {
  0: m.networkUnreachable,
  1: m.hostUnreachable,
  2: m.protocolUnreachable,
  3: m.portUnreachable,
  4: m.packetTooBig,
  5: m.sourceRouteFailed,
  6: m.networkUnreachable,
  7: m.hostUnreachable,
  8: m.hostUnreachable,
  9: m.adminProhibited,
  10: m.adminProhibited,
  11: m.networkUnreachable,
  12: m.hostUnreachable,
  13: m.adminProhibited,
  14: m.adminProhibited,
  15: m.adminProhibited,
};

// RFC 4443 3.1: ICMPv6 destination-unreachable codes.
const V6_UNREACH: Record<number, IcmpMeaning> = {
  0: m.networkUnreachable,
  1: m.adminProhibited,
  2: m.hostUnreachable,
  3: m.hostUnreachable,
  4: m.portUnreachable,
  5: m.adminProhibited,
  6: m.networkUnreachable,
};

/** ICMP error types synack listens for, per family. */
export const IcmpType = {
  v4: { destUnreachable: 3, timeExceeded: 11, parameterProblem: 12 },
  v6: { destUnreachable: 1, packetTooBig: 2, timeExceeded: 3, parameterProblem: 4 },
} as const;

/** Classifies an ICMP (v4) or ICMPv6 (v6) error by type and code. */
export function icmpMeaning(family: AddressFamily, type: number, code: number): IcmpMeaning {
  if (family === 'v4') {
    if (type === IcmpType.v4.destUnreachable) return V4_UNREACH[code] ?? m.other;
    if (type === IcmpType.v4.timeExceeded) return m.ttlExceeded;
    if (type === IcmpType.v4.parameterProblem) return m.parameterProblem;
    return m.other;
  }
  if (type === IcmpType.v6.destUnreachable) return V6_UNREACH[code] ?? m.other;
  if (type === IcmpType.v6.packetTooBig) return m.packetTooBig;
  if (type === IcmpType.v6.timeExceeded) return m.ttlExceeded;
  if (type === IcmpType.v6.parameterProblem) return m.parameterProblem;
  return m.other;
}

/** Human wording, e.g. "admin-prohibited", for timelines and tables. */
export function icmpLabel(meaning: IcmpMeaning): string {
  return meaning.replaceAll('_', '-');
}
