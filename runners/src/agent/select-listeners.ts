import type { Listener } from '@synack/shared/wire/agent-snapshot';

/** One family's NETLINK_SOCK_DIAG dump, as the sock-diag addon returns it. */
export interface SockDiagDump {
  listeners: {
    address: string;
    port: number;
    acceptQueue: number;
    acceptQueueMax: number;
    ifindex: number;
    v6Only: boolean | null;
  }[];
  /** SYN-RECV request sockets by local port. */
  synRecv: { port: number; count: number }[];
  /** More listeners than the addon keeps (65,536); the rest were left out. */
  truncated: boolean;
}

/**
 * The contract's listeners on `ports`, from the v4 and v6 dumps (either may be missing when it
 * could not be read). A listener's `synRecv` counts the request sockets of its family on its
 * port. An IPv6 listener without IPV6_V6ONLY also takes IPv4 SYNs, whose request sockets are
 * IPv4 ones (tcp_v6_conn_request() hands v4-mapped SYNs to tcp_v4_conn_request()), so it also
 * counts the IPv4 ones when no IPv4 listener on that port claims them.
 */
export function selectListeners(
  dumps: { v4?: SockDiagDump | undefined; v6?: SockDiagDump | undefined },
  ports: readonly number[],
): Listener[] {
  const wanted = new Set(ports);
  const synRecv = { v4: countsByPort(dumps.v4), v6: countsByPort(dumps.v6) };
  const v4Ports = new Set(dumps.v4?.listeners.map((listener) => listener.port));
  const listeners: Listener[] = [];
  for (const family of ['v4', 'v6'] as const) {
    for (const raw of dumps[family]?.listeners ?? []) {
      if (!wanted.has(raw.port)) continue;
      let halfOpen = synRecv[family].get(raw.port) ?? 0;
      if (family === 'v6' && raw.v6Only === false && !v4Ports.has(raw.port)) halfOpen += synRecv.v4.get(raw.port) ?? 0;
      listeners.push({
        family,
        address: raw.address,
        port: raw.port,
        acceptQueue: raw.acceptQueue,
        acceptQueueMax: raw.acceptQueueMax,
        synRecv: halfOpen,
        v6Only: family === 'v6' ? raw.v6Only : null,
      });
    }
  }
  // The kernel dumps in hash order; sorted, successive snapshots line up.
  return listeners.sort(
    (a, b) => a.family.localeCompare(b.family) || a.port - b.port || a.address.localeCompare(b.address),
  );
}

function countsByPort(dump: SockDiagDump | undefined): Map<number, number> {
  return new Map(dump?.synRecv.map(({ port, count }) => [port, count]));
}
