import { setTimeout as delay } from 'node:timers/promises';
import { LAB_ADDRESSES, LAB_PREFIX } from './lab-addresses.ts';
import { LabCommandError } from './lab-command-error.ts';
import type { LabNames } from './lab-names.ts';
import { runChecked } from './run-command.ts';

/** Interface names. They live inside the namespaces, so every lab can use the same ones. */
export const LAB_INTERFACES = { client: 'eth0', routerToClient: 'c0', routerToServer: 's0', server: 'eth0' } as const;

// Explicit, pairwise different ifindexes. Left to the kernel, the first veth pair between two fresh
// namespaces gets ifindex 2 at both ends, and linkwatch treats a device whose peer index equals its
// own as non-urgent: its carrier-up waits up to a second, and IPv6 with it (no link-local address,
// so no neighbour solicitation), which made the first IPv6 connection of a lab take a second longer.
const IFINDEX = { client: 11, routerToClient: 10, routerToServer: 20, server: 21 } as const;
const READY_TIMEOUT_MS = 5_000;
const READY_POLL_MS = 10;

/**
 * Resolves once `dev` has a usable (non-tentative) IPv6 link-local address, which the kernel adds
 * only after it has seen the carrier come up: from then on IPv4 and IPv6 both work at once.
 */
async function waitUntilReady(ip: string, ns: string, dev: string): Promise<void> {
  const argv = [ip, '-n', ns, '-6', 'addr', 'show', 'dev', dev, 'scope', 'link', '-tentative'];
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const { stdout } = await runChecked(argv);
    if (stdout.includes('inet6 fe80:')) return;
    if (Date.now() > deadline) {
      throw new LabCommandError(argv, `no usable link-local address within ${READY_TIMEOUT_MS} ms`, stdout);
    }
    await delay(READY_POLL_MS);
  }
}

/**
 * Writes a sysctl inside a namespace through /proc/sys with `tee`: coreutils is always installed,
 * while the `sysctl` binary (procps) is missing from slim CI images.
 */
export function writeSysctl(ip: string, namespace: string, key: string, value: string | number): Promise<unknown> {
  const file = `/proc/sys/${key.replaceAll('.', '/')}`;
  return runChecked([ip, 'netns', 'exec', namespace, 'tee', file], { input: `${value}\n` });
}

/**
 * Creates the namespaces and wires client -- router -- server with veth pairs, addresses, default
 * routes and forwarding. On failure the caller deletes the namespaces (which removes the veths).
 */
export async function buildTopology(ip: string, names: LabNames, options: { icmpRateLimit: boolean }): Promise<void> {
  const { client, router, server } = names;
  const A = LAB_ADDRESSES;
  const I = LAB_INTERFACES;
  const inNs = (ns: string, ...args: string[]) => runChecked([ip, '-n', ns, ...args]);
  const address = async (ns: string, dev: string, host: { v4: string; v6: string }) => {
    await inNs(ns, 'addr', 'add', `${host.v4}/${LAB_PREFIX.v4}`, 'dev', dev);
    // nodad: usable at once instead of "tentative" for a second or so.
    await inNs(ns, 'addr', 'add', `${host.v6}/${LAB_PREFIX.v6}`, 'dev', dev, 'nodad');
  };

  for (const ns of [client, router, server]) {
    await runChecked([ip, 'netns', 'add', ns]);
    // Before the veths exist, so their link-local addresses skip DAD too and neighbour discovery
    // never waits on a tentative address.
    await writeSysctl(ip, ns, 'net.ipv6.conf.default.accept_dad', 0);
    await inNs(ns, 'link', 'set', 'lo', 'up');
  }
  // Created from inside the router with each peer placed straight into its namespace, so no
  // interface ever appears in (or can collide in) the host's namespace.
  const veth = (name: string, index: number, peer: string, peerIndex: number, peerNs: string) => {
    const peerArgs = ['name', peer, 'index', String(peerIndex), 'netns', peerNs];
    return inNs(router, 'link', 'add', name, 'index', String(index), 'type', 'veth', 'peer', ...peerArgs);
  };
  await veth(I.routerToClient, IFINDEX.routerToClient, I.client, IFINDEX.client, client);
  await veth(I.routerToServer, IFINDEX.routerToServer, I.server, IFINDEX.server, server);

  await address(client, I.client, A.client);
  await address(router, I.routerToClient, A.router.clientSide);
  await address(router, I.routerToServer, A.router.serverSide);
  await address(server, I.server, A.server);
  await inNs(client, 'link', 'set', I.client, 'up');
  await inNs(router, 'link', 'set', I.routerToClient, 'up');
  await inNs(router, 'link', 'set', I.routerToServer, 'up');
  await inNs(server, 'link', 'set', I.server, 'up');

  await inNs(client, 'route', 'add', 'default', 'via', A.router.clientSide.v4);
  await inNs(client, '-6', 'route', 'add', 'default', 'via', A.router.clientSide.v6);
  await inNs(server, 'route', 'add', 'default', 'via', A.router.serverSide.v4);
  await inNs(server, '-6', 'route', 'add', 'default', 'via', A.router.serverSide.v6);

  await Promise.all([
    waitUntilReady(ip, client, I.client),
    waitUntilReady(ip, router, I.routerToClient),
    waitUntilReady(ip, router, I.routerToServer),
    waitUntilReady(ip, server, I.server),
  ]);
  await writeSysctl(ip, router, 'net.ipv4.ip_forward', 1);
  await writeSysctl(ip, router, 'net.ipv6.conf.all.forwarding', 1);
  if (!options.icmpRateLimit) {
    // The kernel rate-limits ICMP errors per destination; a prober's tests send bursts to one
    // target and must see an error for every probe, not the first few.
    for (const ns of [router, server]) {
      await writeSysctl(ip, ns, 'net.ipv4.icmp_ratelimit', 0);
      await writeSysctl(ip, ns, 'net.ipv6.icmp.ratelimit', 0);
    }
  }
}
