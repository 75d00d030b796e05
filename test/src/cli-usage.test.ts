import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runSynack, synackArgv } from './support/synack-cli.ts';

/** A loopback port nothing listens on: one the kernel just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Usage errors need no privileges and send nothing: every case fails before any probe.
const synack = runSynack;

describe('synack usage errors', () => {
  it.each([
    [['probe', '192.0.2.1:0'], 'bad target "192.0.2.1:0": port must be 1..65535, got 0'],
    [['probe', '192.0.2.1:70000'], 'port must be 1..65535, got 70000'],
    [['probe', '999.1.2.3:80'], '"999.1.2.3" is not a valid IPv4 address'],
    [['probe', 'no such host:80'], 'neither an IP address nor a valid hostname'],
    [['probe', 'unresolvable.invalid:80'], 'cannot resolve "unresolvable.invalid"'],
    [['probe', '192.0.2.1:80', '-6'], 'it is an IPv4 address but -6 was given'],
    [['probe', '192.0.2.1:80', '--count', 'many'], '--count: expected an integer'],
    [['probe', '192.0.2.1:80', '--timeout', 'x'], '--timeout: expected a duration'],
    [['probe', '192.0.2.1:80', '--mode', 'udp'], "argument 'udp' is invalid"],
    [['trace', '[::1]'], 'missing ":port" after "]"'],
    [['probe'], "missing required argument 'target'"],
  ])('%j exits 2 with one clear line', async (args, message) => {
    const { code, stdout, stderr } = await synack(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it('prints help with exit 0', async () => {
    const { code, stdout } = await synack('probe', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('--source-ports <n>');
  });

  it('ends quietly when its reader goes away (| head)', async () => {
    const port = await closedPort();
    const [node, ...rest] = synackArgv('probe', `127.0.0.1:${port}`, '--mode', 'connect', '-c', '20', '-i', '20ms') as [
      string,
      ...string[],
    ];
    const child = spawn(node, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = await once(child, 'exit');
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(141);
  });
});
