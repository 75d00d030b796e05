import type { ProbeTarget } from '@synack/shared/attempt-record';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SourceLookup } from '../net/source-address.ts';
import { buildSegment } from '../packet/packet-fixtures.ts';
import { decodeTcpSegment } from '../packet/tcp-segment-decoder.ts';
import type { SendResult, SynTransport, TcpPacketHandler } from './raw-transport.ts';
import { SynEngine } from './syn-engine.ts';

// The engine against a fake transport and fake timers: its scheduling, backpressure and error
// paths. Real sockets are covered by test/ (loopback and namespace labs).

type Sent = { sourcePort: number; destinationPort: number; seq: number; tsVal: number | null; destination: string };

class FakeTransport implements SynTransport {
  readonly errors: Record<string, number> = {};
  readonly sent: Sent[] = [];
  readonly results: SendResult[] = [];
  waiting = false;
  closed = false;
  readonly onTcp: TcpPacketHandler;
  readonly onWritable: () => void;
  constructor(onTcp: TcpPacketHandler, onWritable: () => void) {
    this.onTcp = onTcp;
    this.onWritable = onWritable;
  }
  send(packet: Buffer, destination: string, _hop: number, length: number): SendResult {
    const result = this.results.shift() ?? null;
    if (result === null) {
      const seg = decodeTcpSegment(packet, 20, length);
      if (!seg) throw new Error('engine sent something that is not a TCP segment');
      this.sent.push({ ...seg, destination });
    }
    return result;
  }
  waitWritable(): void {
    this.waiting = true;
  }
  readTcpNow(): void {}
  close(): void {
    this.closed = true;
  }
}

const source: SourceLookup = { ok: true, address: '192.0.2.1' };
const target: ProbeTarget = { name: 't', address: '198.51.100.7', port: 443, family: 'v4' };
const policy = { timeoutMs: 4000, rtoMs: 1000, maxRetransmits: 6 };

function setup(options: { ports?: readonly [number, number]; lookup?: SourceLookup } = {}) {
  let transport: FakeTransport | undefined;
  const engine = new SynEngine({
    rawAllowed: true,
    sources: { cached: () => options.lookup ?? source, lookup: async () => options.lookup ?? source },
    sourcePortRange: options.ports,
    now: () => Date.now(),
    openTransport: (_family, onTcp, _onIcmp, onWritable) => {
      transport = new FakeTransport(onTcp, onWritable);
      return transport;
    },
  });
  const fake = () => {
    if (!transport) throw new Error('no transport opened yet');
    return transport;
  };
  const answer = (sent: Sent, flags = 0x12) => {
    const pkt = buildSegment({
      from: sent.destination,
      to: '192.0.2.1',
      sourcePort: sent.destinationPort,
      destinationPort: sent.sourcePort,
      ack: (sent.seq + 1) >>> 0,
      flags,
      options: [8, 10, 0, 0, 0, 1, ...u32(sent.tsVal ?? 0)],
    });
    fake().onTcp(pkt, pkt.length, new Uint8Array(0), -1);
  };
  return { engine, fake, answer };
}

const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

// The engine flushes sends in a microtask; let it run.
const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('SynEngine', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times an answer against the SYN it echoes', async () => {
    const { engine, fake, answer } = setup();
    const attempt = engine.probe({ target, policy });
    await settle();
    vi.advanceTimersByTime(1000);
    expect(fake().sent).toHaveLength(2);
    vi.advanceTimersByTime(7);
    answer(fake().sent[1] as Sent);
    const record = await attempt;
    expect(record).toMatchObject({ outcome: 'synack', retransmits: 1, answeredSyn: 1, rttUs: 7000 });
    expect(record.synSentUs).toEqual([0, 1_000_000]);
  });

  it('retransmits at +1 s and +3 s, then times out at the deadline', async () => {
    const { engine, fake } = setup();
    const attempt = engine.probe({ target, policy });
    await settle();
    vi.advanceTimersByTime(3999);
    expect(fake().sent).toHaveLength(3);
    vi.advanceTimersByTime(1);
    const record = await attempt;
    expect(record).toMatchObject({ outcome: 'timeout', retransmits: 2, synSentUs: [0, 1_000_000, 3_000_000] });
    // The same ISN and port on every SYN; TSval counts transmissions.
    const [a, b, c] = fake().sent as [Sent, Sent, Sent];
    expect(new Set([a.seq, b.seq, c.seq]).size).toBe(1);
    expect([b.tsVal, c.tsVal]).toEqual([((a.tsVal ?? 0) + 1) >>> 0, ((a.tsVal ?? 0) + 2) >>> 0]);
  });

  it('ignores a reply that arrives after the deadline', async () => {
    const { engine, fake, answer } = setup();
    const attempt = engine.probe({ target, policy: { ...policy, rtoMs: 0 } });
    await settle();
    vi.advanceTimersByTime(4000);
    expect((await attempt).outcome).toBe('timeout');
    answer(fake().sent[0] as Sent);
    expect(engine.stats.stray.unknown_flow).toBe(1);
  });

  it('waits for the socket after EAGAIN and sends the SYN once writable', async () => {
    const { engine, fake, answer } = setup();
    const first = engine.probe({ target, policy });
    await settle();
    const second = engine.probe({ target: { ...target, port: 444 }, policy });
    fake().results.push('EAGAIN');
    await settle();
    expect(fake().waiting).toBe(true);
    expect(fake().sent).toHaveLength(1);
    fake().onWritable();
    expect(fake().sent).toHaveLength(2);
    for (const sent of fake().sent) answer(sent);
    expect((await first).outcome).toBe('synack');
    expect((await second).outcome).toBe('synack');
  });

  it('names a local firewall drop (EPERM) and a missing route', async () => {
    const { engine, fake } = setup();
    const attempt = engine.probe({ target, policy });
    fake().results.push('EPERM');
    expect(await attempt).toMatchObject({ outcome: 'local_error', error: { code: 'SYNACK_ERR_LOCAL_FIREWALL' } });
    const noRoute = setup({ lookup: { ok: false, errno: 'ENETUNREACH', message: 'x' } });
    expect(await noRoute.engine.probe({ target, policy })).toMatchObject({
      outcome: 'local_error',
      source: null,
      error: { code: 'SYNACK_ERR_NO_ROUTE' },
    });
  });

  it('runs out of source ports only when every one is in flight to that port', async () => {
    const { engine } = setup({ ports: [40000, 40001] });
    const attempts = [engine.probe({ target, policy }), engine.probe({ target, policy })];
    const third = await engine.probe({ target, policy });
    expect(third).toMatchObject({ outcome: 'local_error', error: { code: 'SYNACK_ERR_PORTS_EXHAUSTED' } });
    const other = engine.probe({ target: { ...target, port: 80 }, policy });
    engine.close();
    for (const r of await Promise.all([...attempts, other])) {
      expect(r).toMatchObject({ outcome: 'local_error', error: { code: 'SYNACK_ERR_ENGINE_CLOSED' } });
    }
  });

  it('reports the transport errors it counted, per family', async () => {
    const { engine, fake, answer } = setup();
    const attempt = engine.probe({ target, policy });
    await settle();
    fake().errors.ENOMEM = 2;
    answer(fake().sent[0] as Sent);
    await attempt;
    expect(engine.transportErrors()).toEqual({ v4: { ENOMEM: 2 } });
  });

  it('reports every attempt as local_error without raw privilege, opening nothing', async () => {
    let opened = false;
    const engine = new SynEngine({
      rawAllowed: false,
      sources: { cached: () => source, lookup: async () => source },
      openTransport: () => {
        opened = true;
        throw new Error('must not open');
      },
    });
    expect(await engine.probe({ target, policy })).toMatchObject({ error: { code: 'SYNACK_ERR_RAW_SOCKET_DENIED' } });
    expect(opened).toBe(false);
  });
});
