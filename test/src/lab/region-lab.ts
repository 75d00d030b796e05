import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { findExecutable } from './find-executable.ts';
import { reapOnExit } from './lab-reaper.ts';
import { writeSysctl } from './lab-topology.ts';
import { newlineBeforeClosingBraces } from './nft-ruleset.ts';
import { stopProcess } from './process-group.ts';
import { runChecked, runCommand } from './run-command.ts';

/** The namespaces of a region lab: one per region, the router, and the server they reach. */
export type RegionHost = 'a' | 'b' | 'router' | 'server';

/**
 * Two "regions" with their own link to a router, and the server behind it:
 *
 *     region a 10.1.0.2, 2001:db8:a::2 --- (10.1.0.1, 2001:db8:a::1)
 *                                              router (forwarding) --- (203.0.113.1, 2001:db8:5::1)
 *     region b 10.2.0.2, 2001:db8:b::2 --- (10.2.0.1, 2001:db8:b::1)        |
 *                                                                 server 203.0.113.10, 2001:db8:5::10
 *
 * plus a management link, server mgmt0 192.168.100.2/30 -- router mgmt 192.168.100.1/30, that
 * carries nothing but what is addressed to it (the agent's reports).
 *
 * The server reaches both regions through its default routes, as a real server does; a fault on
 * one region's path (a rule matching its addresses, on the router or the server) leaves the other
 * untouched. Needs root; gate with `requireLabOrSkip()`.
 */
export type RegionLab = {
  readonly names: Record<RegionHost, string>;
  readonly service: { v4: string; v6: string };
  readonly sources: Record<'a' | 'b', { v4: string; v6: string }>;
  run(host: RegionHost, argv: readonly string[]): Promise<unknown>;
  /** A long-running process in `host`'s namespace, in its own process group. */
  spawn(host: RegionHost, argv: readonly string[]): ChildProcess;
  nft(host: RegionHost, ruleset: string): Promise<void>;
  destroy(): Promise<void>;
};

let count = 0;

/**
 * `hosts`: extra /etc/hosts lines for every namespace (`ip netns exec` bind-mounts
 * /etc/netns/NAME/hosts over /etc/hosts), so names such as a dual-stack service resolve there.
 */
export async function createRegionLab(options: { hosts?: string } = {}): Promise<RegionLab> {
  const ip = findExecutable('ip');
  const nft = findExecutable('nft');
  if (!ip || !nft) throw new Error('region lab: ip and nft are needed (iproute2, nftables)');
  count += 1;
  const base = `sk${process.pid.toString(36)}-g${count}`;
  const names: Record<RegionHost, string> = {
    a: `${base}-a`,
    b: `${base}-b`,
    router: `${base}-r`,
    server: `${base}-s`,
  };
  const leftovers = { ip, namespaces: Object.values(names), pids: new Set<number>() };
  const removeHostsFiles = () => {
    for (const ns of Object.values(names)) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  };
  const forget = reapOnExit(leftovers);
  const children = new Set<ChildProcess>();
  const sh = (argv: string[]) => runChecked([ip, ...argv]);
  try {
    for (const ns of Object.values(names)) {
      if (options.hosts !== undefined) {
        mkdirSync(`/etc/netns/${ns}`, { recursive: true });
        writeFileSync(`/etc/netns/${ns}/hosts`, `127.0.0.1 localhost\n::1 localhost\n${options.hosts}\n`);
      }
      await sh(['netns', 'add', ns]);
      await sh(['-n', ns, 'link', 'set', 'lo', 'up']);
      await writeSysctl(ip, ns, 'net.ipv6.conf.all.accept_dad', 0);
      await writeSysctl(ip, ns, 'net.ipv6.conf.default.accept_dad', 0);
    }
    const links = [
      { region: 'a' as const, net: 1, hex: 'a', index: 41 },
      { region: 'b' as const, net: 2, hex: 'b', index: 43 },
    ];
    for (const { region, net, hex, index } of links) {
      const ns = names[region];
      await sh([
        '-n',
        ns,
        'link',
        'add',
        'eth0',
        'index',
        String(index),
        'type',
        'veth',
        'peer',
        'name',
        `to-${region}`,
        'index',
        String(index + 1),
        'netns',
        names.router,
      ]);
      await sh(['-n', ns, 'addr', 'add', `10.${net}.0.2/24`, 'dev', 'eth0']);
      await sh(['-n', ns, 'addr', 'add', `2001:db8:${hex}::2/64`, 'dev', 'eth0', 'nodad']);
      await sh(['-n', names.router, 'addr', 'add', `10.${net}.0.1/24`, 'dev', `to-${region}`]);
      await sh(['-n', names.router, 'addr', 'add', `2001:db8:${hex}::1/64`, 'dev', `to-${region}`, 'nodad']);
      await sh(['-n', ns, 'link', 'set', 'eth0', 'up']);
      await sh(['-n', names.router, 'link', 'set', `to-${region}`, 'up']);
      await sh(['-n', ns, 'route', 'add', 'default', 'via', `10.${net}.0.1`]);
      await sh(['-n', ns, '-6', 'route', 'add', 'default', 'via', `2001:db8:${hex}::1`]);
    }
    await sh([
      '-n',
      names.server,
      'link',
      'add',
      'eth0',
      'index',
      '45',
      'type',
      'veth',
      'peer',
      'name',
      'to-server',
      'index',
      '46',
      'netns',
      names.router,
    ]);
    await sh(['-n', names.server, 'addr', 'add', '203.0.113.10/24', 'dev', 'eth0']);
    await sh(['-n', names.server, 'addr', 'add', '2001:db8:5::10/64', 'dev', 'eth0', 'nodad']);
    await sh(['-n', names.router, 'addr', 'add', '203.0.113.1/24', 'dev', 'to-server']);
    await sh(['-n', names.router, 'addr', 'add', '2001:db8:5::1/64', 'dev', 'to-server', 'nodad']);
    await sh(['-n', names.server, 'link', 'set', 'eth0', 'up']);
    await sh(['-n', names.router, 'link', 'set', 'to-server', 'up']);
    // A management link apart from the service path, as servers often have: the agent reports
    // over it, so a fault on the service path does not silence the agent (cut it to do that).
    await sh([
      '-n',
      names.server,
      'link',
      'add',
      'mgmt0',
      'index',
      '47',
      'type',
      'veth',
      'peer',
      'name',
      'mgmt',
      'index',
      '48',
      'netns',
      names.router,
    ]);
    await sh(['-n', names.server, 'addr', 'add', '192.168.100.2/30', 'dev', 'mgmt0']);
    await sh(['-n', names.router, 'addr', 'add', '192.168.100.1/30', 'dev', 'mgmt']);
    await sh(['-n', names.server, 'link', 'set', 'mgmt0', 'up']);
    await sh(['-n', names.router, 'link', 'set', 'mgmt', 'up']);
    await sh(['-n', names.server, 'route', 'add', 'default', 'via', '203.0.113.1']);
    await sh(['-n', names.server, '-6', 'route', 'add', 'default', 'via', '2001:db8:5::1']);
    await writeSysctl(ip, names.router, 'net.ipv4.ip_forward', 1);
    await writeSysctl(ip, names.router, 'net.ipv6.conf.all.forwarding', 1);
  } catch (error) {
    for (const ns of Object.values(names)) await runCommand([ip, 'netns', 'del', ns]);
    removeHostsFiles();
    forget();
    throw error;
  }
  let destroyed = false;
  const inNs = (host: RegionHost, argv: readonly string[]) => [ip, 'netns', 'exec', names[host], ...argv];
  return {
    names,
    service: { v4: '203.0.113.10', v6: '2001:db8:5::10' },
    sources: { a: { v4: '10.1.0.2', v6: '2001:db8:a::2' }, b: { v4: '10.2.0.2', v6: '2001:db8:b::2' } },
    run: (host, argv) => runChecked(inNs(host, argv)),
    spawn(host, argv) {
      const [file, ...args] = inNs(host, argv);
      const child = spawn(file as string, args, { stdio: 'pipe', detached: true });
      children.add(child);
      if (child.pid !== undefined) leftovers.pids.add(child.pid);
      child.once('exit', () => {
        children.delete(child);
        if (child.pid !== undefined) leftovers.pids.delete(child.pid);
      });
      return child;
    },
    async nft(host, ruleset) {
      await runChecked(inNs(host, [nft, '-f', '-']), { input: newlineBeforeClosingBraces(ruleset) });
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await Promise.all([...children].map((child) => stopProcess(child)));
      for (const ns of Object.values(names)) await runCommand([ip, 'netns', 'del', ns]);
      removeHostsFiles();
      forget();
    },
  };
}
