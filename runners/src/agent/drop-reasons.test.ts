import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DropReason } from '@synack/shared/wire/agent-snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeDrops } from './attribute-drops.ts';
import { openDropTracer } from './drop-reasons.ts';
import { parseTraceLine } from './parse-trace-line.ts';

// Captured from /sys/kernel/tracing on kernel 6.18.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const RESET_V4 =
  ' node-MainThread-21495   [000] ..s1. 11674.223015: tcp_send_reset: skbaddr=000000003d85a042 skaddr=0000000000000000 src=127.0.0.1:46131 dest=127.0.0.1:43962 state=UNKNOWN reason=NO_SOCKET';
const RESET_V6 =
  '         python3-27151   [001] ..s1. 12047.805945: tcp_send_reset: skbaddr=00000000ca9695e6 skaddr=0000000000000000 src=[::1]:9 dest=[::1]:34124 state=UNKNOWN reason=NO_SOCKET';
const KFREE =
  ' npm exec biome -20824   [001] .Ns1. 11633.894779: kfree_skb: skbaddr=00000000c2a166b9 rx_sk=0000000000000000 protocol=2048 location=nft_do_chain+0x3e8/0x610 reason: NETFILTER_DROP';

describe('parseTraceLine', () => {
  it('reads the event and its fields', () => {
    expect(parseTraceLine(RESET_V6)).toEqual({
      event: 'tcp_send_reset',
      fields: {
        skbaddr: '00000000ca9695e6',
        skaddr: '0000000000000000',
        src: '[::1]:9',
        dest: '[::1]:34124',
        state: 'UNKNOWN',
        reason: 'NO_SOCKET',
      },
    });
    // A command name with spaces and dashes; kfree_skb's `reason: X`.
    expect(parseTraceLine(KFREE)).toMatchObject({
      event: 'kfree_skb',
      fields: { protocol: '2048', location: 'nft_do_chain+0x3e8/0x610', reason: 'NETFILTER_DROP' },
    });
  });

  it('skips comments and other text', () => {
    expect(parseTraceLine('# tracer: nop')).toBeUndefined();
    expect(parseTraceLine('')).toBeUndefined();
  });
});

describe('attributeDrops', () => {
  const scope = { ports: [9, 46131], localAddresses: new Set(['127.0.0.1', '::1', '203.0.113.10']) };
  const events = (...lines: string[]) =>
    lines.map((line) => parseTraceLine(line)).filter((event) => event !== undefined);

  it('counts handshake resets by reason, family, port and peer', () => {
    expect(attributeDrops(events(RESET_V4, RESET_V4, RESET_V6), scope)).toEqual([
      { reason: 'NO_SOCKET', location: 'tcp_v4_send_reset', family: 'v4', port: 46131, peer: '127.0.0.1', count: 2 },
      { reason: 'NO_SOCKET', location: 'tcp_v6_send_reset', family: 'v6', port: 9, peer: '::1', count: 1 },
    ]);
  });

  it('discards other ports, other namespaces’ addresses and resets of established connections', () => {
    expect(attributeDrops(events(RESET_V4), { ...scope, ports: [80] })).toEqual([]);
    expect(attributeDrops(events(RESET_V4), { ...scope, localAddresses: new Set(['203.0.113.10']) })).toEqual([]);
    const established = RESET_V4.replace('state=UNKNOWN', 'state=TCP_ESTABLISHED');
    expect(attributeDrops(events(established), scope)).toEqual([]);
  });

  it('discards kfree_skb events, which carry no ports', () => {
    expect(attributeDrops(events(KFREE), scope)).toEqual([]);
  });

  it('attributes a drop event that carries the packet’s ports, by its destination', () => {
    const withPorts =
      '  <idle>-0 [001] ..s1. 1.5: kfree_skb: location=nft_do_chain+0x3e8/0x610 saddr=::ffff:192.0.2.2 daddr=::ffff:203.0.113.10 sport=40000 dport=9 reason: NETFILTER_DROP';
    expect(attributeDrops(events(withPorts), scope)).toEqual([
      { reason: 'NETFILTER_DROP', location: 'nft_do_chain', family: 'v4', port: 9, peer: '192.0.2.2', count: 1 },
    ]);
  });
});

describe('openDropTracer without tracefs', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true });
  });

  it('reports both sources as failed when tracefs is not mounted, and reads nothing', () => {
    const tracer = openDropTracer({ tracefsRoots: ['/nonexistent/tracing'] });
    const error = 'tracefs is not mounted (looked in /nonexistent/tracing)';
    expect(tracer.read([80])).toEqual({
      value: [],
      sources: [
        { source: 'tracefs skb:kfree_skb', ok: false, error },
        { source: 'tracefs tcp:tcp_send_reset', ok: false, error },
      ],
    });
    tracer.close();
  });

  it('reads the kfree_skb format and refuses to trace an event it cannot attribute', async () => {
    const root = await mkdtemp(join(tmpdir(), 'synack-tracefs-'));
    dirs.push(root);
    await mkdir(join(root, 'instances'));
    await mkdir(join(root, 'events/skb/kfree_skb'), { recursive: true });
    await writeFile(join(root, 'events/skb/kfree_skb/format'), fixture('kfree_skb.format'));
    const tracer = openDropTracer({ tracefsRoots: [root] });
    expect(tracer.read([80]).sources).toEqual([
      {
        source: 'tracefs skb:kfree_skb',
        ok: false,
        error: 'kfree_skb events carry no ports on this kernel; cannot attribute',
      },
      { source: 'tracefs tcp:tcp_send_reset', ok: false, error: 'this kernel has no tcp:tcp_send_reset event' },
    ]);
    // Nothing to trace: no instance was made.
    expect(readdirSync(join(root, 'instances'))).toEqual([]);
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('openDropTracer on this kernel (needs root: skipped otherwise)', () => {
  let root: string | undefined;
  let mounted: string | undefined;
  beforeAll(async () => {
    if (existsSync('/sys/kernel/tracing/instances')) {
      root = '/sys/kernel/tracing';
      return;
    }
    // Not mounted here: mount a tracefs of our own for the test, and take it down after.
    const dir = await mkdtemp(join(tmpdir(), 'synack-tracefs-'));
    try {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', dir], { stdio: 'ignore' });
      mounted = dir;
      root = dir;
    } catch {
      await rm(dir, { recursive: true });
    }
  });
  afterAll(async () => {
    if (mounted) {
      execFileSync('umount', [mounted]);
      await rm(mounted, { recursive: true });
    }
  });

  it('attributes the reset for a closed port to it, and removes its instance on close', async (context) => {
    if (!root) return context.skip('tracefs cannot be mounted here');
    const tracer = openDropTracer({ tracefsRoots: [root] });
    try {
      expect(tracer.read([]).sources).toEqual([
        {
          source: 'tracefs skb:kfree_skb',
          ok: false,
          error: 'kfree_skb events carry no ports on this kernel; cannot attribute',
        },
        { source: 'tracefs tcp:tcp_send_reset', ok: true },
      ]);
      expect(existsSync(join(root, 'instances', `synack-${process.pid}`))).toBe(true);
      const port = await closedPort();
      await refused(port);
      const drops: DropReason[] = [];
      const deadline = performance.now() + 5_000;
      while (drops.length === 0 && performance.now() < deadline) {
        drops.push(...tracer.read([port]).value);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(drops).toEqual([
        { reason: 'NO_SOCKET', location: 'tcp_v4_send_reset', family: 'v4', port, peer: '127.0.0.1', count: 1 },
      ]);
    } finally {
      tracer.close();
    }
    expect(existsSync(join(root, 'instances', `synack-${process.pid}`))).toBe(false);
  });
});

// A port nothing listens on: one the kernel just gave out and took back.
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function refused(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => reject(new Error(`port ${port} is open`)));
    socket.once('error', () => resolve());
  });
}
