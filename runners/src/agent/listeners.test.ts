import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Listener } from '@synack/shared/wire/agent-snapshot';
import { afterEach, describe, expect, it } from 'vitest';
import { readListeners } from './listeners.ts';
import { type SockDiagDump, selectListeners } from './select-listeners.ts';

// Listeners that never accept(), so the kernel's queues stay as the test leaves them. With
// TCP_DEFER_ACCEPT a handshake's final ACK without data is ignored (tcp_check_req()), so a
// connected client leaves a SYN-RECV request socket until it sends a byte.
const LISTENERS = `
import socket, time
def listen(family, address, backlog, v6only=None):
    s = socket.socket(family)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 60)
    s.bind((address, 0))
    s.listen(backlog)
    return s
a = listen(socket.AF_INET, '127.0.0.1', 7)
b = listen(socket.AF_INET6, '::', 5, 0)
c = listen(socket.AF_INET6, '::1', 3, 1)
print(a.getsockname()[1], b.getsockname()[1], c.getsockname()[1], flush=True)
time.sleep(3600)
`;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function startListeners(): Promise<number[]> {
  const child: ChildProcess = spawn('python3', ['-c', LISTENERS], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  return new Promise<number[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`listener script exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) =>
      resolve(line.split(' ').map(Number)),
    );
  });
}

async function connectClient(port: number, host: string): Promise<Socket> {
  const socket = connect(port, host);
  cleanups.push(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

async function waitForListener(port: number, family: Listener['family'], condition: (listener: Listener) => boolean) {
  const deadline = performance.now() + 5_000;
  for (;;) {
    const listener = readListeners([port]).value.find((candidate) => candidate.family === family);
    if (listener && condition(listener)) return listener;
    if (performance.now() > deadline)
      throw new Error(`listener ${family} ${port} never matched: ${JSON.stringify(listener)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('readListeners (netlink sock_diag, this namespace)', () => {
  it('reads the backlog, the accept queue and the SYN-RECV count of a real listener', async () => {
    const [port = 0] = await startListeners();
    const { value, sources } = readListeners([port]);
    expect(sources).toEqual([
      { source: 'netlink sock_diag v4', ok: true },
      { source: 'netlink sock_diag v6', ok: true },
    ]);
    expect(value).toEqual([
      { family: 'v4', address: '127.0.0.1', port, acceptQueue: 0, acceptQueueMax: 7, synRecv: 0, v6Only: null },
    ]);

    const clients = [await connectClient(port, '127.0.0.1'), await connectClient(port, '127.0.0.1')];
    const halfOpen = await waitForListener(port, 'v4', (listener) => listener.synRecv === 2);
    expect(halfOpen.acceptQueue).toBe(0);

    // Data completes the deferred handshakes: both wait in the accept queue, never accepted.
    for (const client of clients) client.write('x');
    const queued = await waitForListener(port, 'v4', (listener) => listener.acceptQueue === 2);
    expect(queued).toMatchObject({ acceptQueueMax: 7, synRecv: 0 });
  });

  it('reports IPV6_V6ONLY, and counts IPv4 handshakes on a dual-stack listener', async () => {
    const [, dualPort = 0, v6OnlyPort = 0] = await startListeners();
    const { value } = readListeners([dualPort, v6OnlyPort]);
    expect(value).toHaveLength(2);
    expect(value).toContainEqual({
      family: 'v6',
      address: '::',
      port: dualPort,
      acceptQueue: 0,
      acceptQueueMax: 5,
      synRecv: 0,
      v6Only: false,
    });
    expect(value).toContainEqual({
      family: 'v6',
      address: '::1',
      port: v6OnlyPort,
      acceptQueue: 0,
      acceptQueueMax: 3,
      synRecv: 0,
      v6Only: true,
    });
    await connectClient(dualPort, '127.0.0.1');
    await connectClient(dualPort, '::1');
    await waitForListener(dualPort, 'v6', (listener) => listener.synRecv === 2);
  });

  it('says why when the addon cannot be used, and keeps going', () => {
    const reading = readListeners([80], () => {
      throw new Error('the sock-diag addon failed to load');
    });
    expect(reading.value).toEqual([]);
    expect(reading.sources).toEqual([
      { source: 'netlink sock_diag v4', ok: false, error: 'the sock-diag addon failed to load' },
      { source: 'netlink sock_diag v6', ok: false, error: 'the sock-diag addon failed to load' },
    ]);
  });
});

describe('selectListeners', () => {
  const raw = (address: string, port: number, v6Only: boolean | null, acceptQueue = 0) => ({
    address,
    port,
    acceptQueue,
    acceptQueueMax: 128,
    ifindex: 0,
    v6Only,
  });
  const v4: SockDiagDump = {
    listeners: [raw('0.0.0.0', 8080, null, 3), raw('0.0.0.0', 22, null)],
    synRecv: [
      { port: 8080, count: 4 },
      { port: 22, count: 1 },
    ],
    truncated: false,
  };
  const v6: SockDiagDump = {
    listeners: [raw('::', 8080, true), raw('::', 9090, false)],
    synRecv: [
      { port: 8080, count: 2 },
      { port: 9090, count: 1 },
    ],
    truncated: false,
  };

  it('keeps the monitored ports, with their family’s SYN-RECV count', () => {
    expect(selectListeners({ v4, v6 }, [8080])).toEqual([
      { family: 'v4', address: '0.0.0.0', port: 8080, acceptQueue: 3, acceptQueueMax: 128, synRecv: 4, v6Only: null },
      { family: 'v6', address: '::', port: 8080, acceptQueue: 0, acceptQueueMax: 128, synRecv: 2, v6Only: true },
    ]);
  });

  it('adds IPv4 request sockets to a dual-stack IPv6 listener that no IPv4 listener shares', () => {
    const withV4 = { ...v4, synRecv: [{ port: 9090, count: 5 }] };
    expect(selectListeners({ v4: withV4, v6 }, [9090])).toMatchObject([{ family: 'v6', port: 9090, synRecv: 6 }]);
  });

  it('works with one family missing', () => {
    expect(selectListeners({ v6 }, [9090, 8080]).map((listener) => listener.port)).toEqual([8080, 9090]);
    expect(selectListeners({}, [8080])).toEqual([]);
  });
});
