import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from './find-executable.ts';
import { requireLabOrSkip } from './lab-availability.ts';
import { createLab, type Lab, type LabFamily, type LabListener } from './netns-lab.ts';

const CONNECT_SCRIPT = fileURLToPath(new URL('./tcp-connect.ts', import.meta.url));
const PORT = 8080;
const FAMILIES: LabFamily[] = ['v4', 'v6'];
const ip = findExecutable('ip') ?? 'ip';
const nft = findExecutable('nft') ?? 'nft';
const ping = findExecutable('ping');

/** Connects from the client namespace; resolves to CONNECTED, TIMEOUT or ERROR <code>. */
async function connectFromClient(lab: Lab, address: string, port = PORT): Promise<string> {
  const result = await lab.exec('client', [process.execPath, CONNECT_SCRIPT, address, String(port), '1500']);
  return result.stdout.trim();
}

async function namespaceList(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(ip, ['netns', 'list']);
  // Lines look like "sk2ikow-1q7-c (id: 3)".
  return stdout.split('\n').map((line) => line.split(' ')[0] ?? '');
}

describe.skipIf(requireLabOrSkip())('netns lab', () => {
  let lab: Lab;
  let listener: LabListener;

  beforeAll(async () => {
    lab = await createLab();
    listener = await lab.listen(PORT);
  });

  afterAll(async () => {
    await listener?.close();
    await lab?.destroy();
  });

  it.each(FAMILIES)('client reaches the server through the router over %s', async (family) => {
    expect(await connectFromClient(lab, lab.addresses.server[family])).toBe('CONNECTED');
  });

  it.each(FAMILIES)('a closed port on the server answers with a RST over %s', async (family) => {
    expect(await connectFromClient(lab, lab.addresses.server[family], PORT + 1)).toBe('ERROR ECONNREFUSED');
  });

  it.skipIf(ping === undefined).each(FAMILIES)('client pings the server over %s', async (family) => {
    await lab.run('client', [ping ?? 'ping', '-c1', '-W2', lab.addresses.server[family]]);
  });

  it.each([
    { family: 'v4' as const, sysctl: 'net/ipv4/ip_forward' },
    { family: 'v6' as const, sysctl: 'net/ipv6/conf/all/forwarding' },
  ])(
    'traffic goes via the router: the route points at it and $family forwarding carries it',
    async ({ family, sysctl }) => {
      const route = await lab.run('client', [ip, 'route', 'get', lab.addresses.server[family]]);
      expect(route.stdout).toContain(`via ${lab.addresses.router.clientSide[family]}`);
      const setForwarding = (value: number) =>
        lab.run('router', ['tee', `/proc/sys/${sysctl}`], { input: `${value}\n` });
      await setForwarding(0);
      try {
        expect(await connectFromClient(lab, lab.addresses.server[family])).not.toBe('CONNECTED');
      } finally {
        await setForwarding(1);
      }
      expect(await connectFromClient(lab, lab.addresses.server[family])).toBe('CONNECTED');
    },
  );

  it('an nft drop rule on the server makes connects time out, and counts the SYNs', async () => {
    await lab.nft(
      'server',
      `table inet t { chain input { type filter hook input priority 0; tcp dport ${PORT} counter drop } }`,
    );
    try {
      for (const family of FAMILIES) {
        expect(await connectFromClient(lab, lab.addresses.server[family])).toBe('TIMEOUT');
      }
      const { stdout } = await lab.run('server', [nft, 'list', 'table', 'inet', 't']);
      const packets = Number(/counter packets (\d+)/.exec(stdout)?.[1]);
      expect(packets).toBeGreaterThanOrEqual(2); // At least one SYN per family.
    } finally {
      await lab.run('server', [nft, 'delete', 'table', 'inet', 't']);
    }
    expect(await connectFromClient(lab, lab.addresses.server.v4)).toBe('CONNECTED');
  });

  it('reports failing commands with the command and its stderr', async () => {
    await expect(lab.run('client', [ip, 'link', 'show', 'nosuch0'])).rejects.toThrow(
      /command failed \(exit code 1\): .*ip netns exec sk\S+-c \S+ link show nosuch0\nstderr: .*nosuch0/,
    );
    await expect(lab.nft('server', 'table inet t { chain input { bogus } }')).rejects.toThrow(/nft -f -\nstderr: .+/);
    await expect(lab.listen(PORT)).rejects.toThrow(
      /exited \(code 1\) before printing "listening".*\nstderr: .*EADDRINUSE/s,
    );
    expect((await lab.exec('client', ['false'])).code).toBe(1);
  });

  it('destroy() stops spawned processes, deletes the namespaces, and is idempotent', async () => {
    const other = await createLab();
    const names = Object.values(other.names);
    expect(names).not.toContain(lab.names.client);
    expect(await namespaceList()).toEqual(expect.arrayContaining(names));

    const sleeper = other.spawn('server', ['sleep', '600']);
    await other.listen(PORT, { families: ['v6'] });
    await other.destroy();

    expect(sleeper.exitCode !== null || sleeper.signalCode !== null).toBe(true);
    const remaining = await namespaceList();
    for (const name of names) expect(remaining).not.toContain(name);
    await expect(other.destroy()).resolves.toBeUndefined();
    await expect(other.exec('client', ['true'])).rejects.toThrow(/destroyed/);
  });
});
