import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const LISTEN_NEVER_ACCEPT = `
import socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(0)
print(s.getsockname()[1], flush=True)
time.sleep(3600)
`;

/**
 * A loopback port whose SYNs the kernel drops: a listener that never accepts, with its accept
 * queue filled (tcp_conn_request(): a full accept queue drops the SYN, TcpExtListenOverflows).
 * Connect probes to it time out, which makes a probe job last as long as its timeout.
 */
export async function startTarpit(): Promise<{ port: number; stop: () => void }> {
  const child: ChildProcess = spawn('python3', ['-c', LISTEN_NEVER_ACCEPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`tarpit exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => resolve(Number(line)));
  });
  // backlog 0 still queues one connection (backlog + 1): fill it, and keep the sockets open.
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      setTimeout(resolve, 300);
    });
    fillers.push(socket);
  }
  return {
    port,
    stop: () => {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
    },
  };
}
