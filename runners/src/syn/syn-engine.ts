import { randomFillSync, randomUUID } from 'node:crypto';
import type { AddressFamily } from '@synack/shared/address-family';
import type { ProbeTarget, SynAttemptRecord } from '@synack/shared/attempt-record';
import { ErrorCode, isSynackError } from '@synack/shared/synack-error';
import type { SourceResolver } from '../net/source-address.ts';
import { addressToBytes, canonicalAddress } from '../packet/ip-address-bytes.ts';
import { type FlowIdentity, flowKey, matchIcmpReply, matchTcpReply, type ReplyMatch } from '../packet/reply-matcher.ts';
import { encodeSyn } from '../packet/syn-encoder.ts';
import { DeadlineHeap } from './deadline-heap.ts';
import { RAW_SOCKET_DENIED_MESSAGE } from './raw-capability.ts';
import { RawTransport } from './raw-transport.ts';
import { type RetransmitPolicy, synSendOffsetsMs } from './retransmit-schedule.ts';
import { buildSynRecord, type SynAttemptState, type SynEnding } from './syn-record.ts';

/** One raw-SYN attempt to run. */
export type SynProbeRequest = {
  target: ProbeTarget;
  policy: RetransmitPolicy;
  /** IPv4 TTL / IPv6 hop limit of the SYNs; unset = the system default. Used by traceroute. */
  ttl?: number;
};

/** Counters since the engine started, for benchmarks and self-monitoring. */
export type SynEngineStats = {
  sent: number;
  retransmitted: number;
  synack: number;
  rst: number;
  icmp: number;
  timeout: number;
  localError: number;
  sendErrors: number;
  /** Most attempts in flight at once. */
  peakInFlight: number;
  stray: Record<string, number>;
};

export type SynEngineOptions = {
  /** From `detectCapNetRaw()`; without it every attempt is a `local_error`, and nothing is opened. */
  rawAllowed: boolean;
  sources: SourceResolver;
  /** Source ports are drawn at random from this range. Default: Linux's ephemeral 32768–60999. */
  sourcePortRange?: readonly [number, number];
  now?: () => number;
};

type Flight = FlowIdentity &
  SynAttemptState & {
    key: number;
    transport: RawTransport;
    offsets: number[];
    timeoutMs: number;
    sentAt: number[];
    ipIds: number[];
    done: boolean;
    resolve: (record: SynAttemptRecord) => void;
  };

type Lane = { transport: RawTransport; queue: Flight[]; head: number; blocked: boolean; scratch: Buffer };
// Timers name a flight by key and ISN rather than holding it, so an answered attempt is freed at
// once instead of when its deadline passes (at 50,000 probes/s that is 100,000 attempts held).
type TimerEntry = { key: number; seq: number; send: boolean };

const BACKPRESSURE = new Set(['EAGAIN', 'ENOBUFS']);
const DEFAULT_TTL = 64;

/**
 * Sends raw TCP SYNs (IPv4 and IPv6) and attributes SYN-ACKs, RSTs and ICMP errors to them, with
 * one socket pair per family whatever the number of attempts in flight. Each attempt gets a
 * random source port and ISN; retransmissions follow its policy. Outcomes are data: `probe()`
 * always resolves, never rejects.
 *
 * The local kernel has no socket for these flows, so it answers each SYN-ACK with an RST. That
 * is expected and harmless (it is what `nmap -sS` does too), and no firewall rule is added.
 */
export class SynEngine {
  readonly stats: SynEngineStats = {
    sent: 0,
    retransmitted: 0,
    synack: 0,
    rst: 0,
    icmp: 0,
    timeout: 0,
    localError: 0,
    sendErrors: 0,
    peakInFlight: 0,
    stray: {},
  };
  private readonly options: SynEngineOptions;
  private readonly now: () => number;
  private readonly flights = new Map<number, Flight>();
  private readonly lanes = new Map<AddressFamily, Lane | { error: string; code: string }>();
  private readonly timers = new DeadlineHeap<TimerEntry>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly random = new Uint32Array(1024);
  private randomAt = this.random.length;
  private closed = false;
  private readonly lookup = (key: number) => this.flights.get(key);
  private readonly addressBytes = new Map<string, Uint8Array>();

  constructor(options: SynEngineOptions) {
    this.options = options;
    this.now = options.now ?? performance.now.bind(performance);
  }

  /** Number of attempts waiting for an answer. */
  get inFlight(): number {
    return this.flights.size;
  }

  /** Runs one attempt. Resolves with its record once answered, timed out or failed locally. */
  async probe(request: SynProbeRequest): Promise<SynAttemptRecord> {
    const origin = this.now();
    const startedAt = new Date().toISOString();
    const target = { ...request.target, address: canonicalAddress(request.target.address) };
    const base: SynAttemptState = {
      id: randomUUID(),
      target,
      source: null,
      startedAt,
      origin,
      sentAt: [],
      ipIds: [],
      tsBase: 0,
    };
    if (request.ttl !== undefined) base.sentTtl = request.ttl;
    const fail = (code: string, message: string) => {
      this.stats.localError++;
      return buildSynRecord(base, { kind: 'local_error', code, message });
    };
    if (this.closed) return fail(ErrorCode.engineClosed, 'the SYN engine is closed');
    const offsets = synSendOffsetsMs(request.policy);
    const lane = this.lane(target.family);
    if ('error' in lane) return fail(lane.code, lane.error);
    // Cached lookups are taken synchronously: one less await per attempt at high rates.
    const source =
      this.options.sources.cached(target.family, target.address) ??
      (await this.options.sources.lookup(target.family, target.address));
    if (!source.ok) {
      const code =
        source.errno === 'ENETUNREACH' || source.errno === 'EHOSTUNREACH' ? ErrorCode.noRoute : ErrorCode.sourceAddress;
      return fail(code, `no route to ${target.address} on this host (${source.errno})`);
    }
    if (this.closed) return fail(ErrorCode.engineClosed, 'the SYN engine is closed');
    const sourcePort = this.pickSourcePort(target);
    if (sourcePort === undefined)
      return fail(ErrorCode.portsExhausted, `no free source port toward ${target.address}:${target.port}`);
    return new Promise<SynAttemptRecord>((resolve) => {
      const flight: Flight = {
        ...base,
        source: { address: canonicalAddress(source.address), port: sourcePort },
        key: flowKey(target.port, sourcePort),
        targetAddress: target.address,
        targetPort: target.port,
        sourcePort,
        seq: this.nextRandom(),
        tsBase: this.nextRandom(),
        sourceBytes: this.bytesOf(source.address),
        targetBytes: this.bytesOf(target.address),
        transport: lane.transport,
        offsets,
        timeoutMs: request.policy.timeoutMs,
        sentAt: [],
        ipIds: [],
        done: false,
        resolve,
      };
      this.flights.set(flight.key, flight);
      if (this.flights.size > this.stats.peakInFlight) this.stats.peakInFlight = this.flights.size;
      this.enqueue(lane, flight);
    });
  }

  /** Closes the sockets; attempts still in flight end as `local_error` (engine closed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timers.clear();
    for (const flight of [...this.flights.values()]) {
      this.finish(flight, { kind: 'local_error', code: ErrorCode.engineClosed, message: 'the SYN engine closed' });
    }
    for (const lane of this.lanes.values()) if ('transport' in lane) lane.transport.close();
  }

  private lane(family: AddressFamily): Lane | { error: string; code: string } {
    let lane = this.lanes.get(family);
    if (lane) return lane;
    if (!this.options.rawAllowed) {
      lane = { code: ErrorCode.rawSocketDenied, error: RAW_SOCKET_DENIED_MESSAGE };
    } else {
      try {
        const ref: { lane?: Lane } = {};
        const transport = new RawTransport(
          family,
          (bytes, length, peer) => this.onMatch(matchTcpReply(family, bytes, length, peer, this.lookup)),
          (bytes, length, peer) => this.onMatch(matchIcmpReply(family, bytes, length, peer, this.lookup)),
          () => {
            if (ref.lane) {
              ref.lane.blocked = false;
              this.flush(ref.lane);
            }
          },
        );
        ref.lane = { transport, queue: [], head: 0, blocked: false, scratch: Buffer.alloc(128) };
        lane = ref.lane;
      } catch (error) {
        const code = isSynackError(error) ? error.code : ErrorCode.socketFailed;
        const message =
          code === ErrorCode.rawSocketDenied ? RAW_SOCKET_DENIED_MESSAGE : String((error as Error).message);
        lane = { code, error: message };
      }
    }
    this.lanes.set(family, lane);
    return lane;
  }

  private enqueue(lane: Lane, flight: Flight): void {
    lane.queue.push(flight);
    if (lane.queue.length - lane.head === 1 && !lane.blocked) queueMicrotask(() => this.flush(lane));
  }

  // Sends everything queued on a lane in one go: batching is what sustains high probe rates.
  private flush(lane: Lane): void {
    while (lane.head < lane.queue.length && !lane.blocked) {
      const flight = lane.queue[lane.head] as Flight;
      if (flight.done) {
        lane.head++;
        continue;
      }
      const index = flight.sentAt.length;
      const ipId = this.nextRandom() & 0xffff || 1;
      const ttl = flight.sentTtl ?? DEFAULT_TTL;
      const packet = encodeSyn(
        {
          family: flight.target.family,
          source: flight.sourceBytes,
          destination: flight.targetBytes,
          sourcePort: flight.sourcePort,
          destinationPort: flight.targetPort,
          seq: flight.seq,
          tsVal: (flight.tsBase + index) >>> 0,
          ttl,
          ipId,
        },
        lane.scratch,
      );
      const error = lane.transport.send(packet, flight.targetAddress, flight.sentTtl ?? -1);
      if (error && BACKPRESSURE.has(error)) {
        lane.blocked = true;
        lane.transport.waitWritable();
        break;
      }
      lane.head++;
      this.afterSend(flight, index, ipId, error);
    }
    if (lane.head === lane.queue.length) {
      lane.queue.length = 0;
      lane.head = 0;
    } else if (lane.head > 4096) {
      lane.queue.splice(0, lane.head);
      lane.head = 0;
    }
    this.armTimer();
  }

  private afterSend(flight: Flight, index: number, ipId: number, error: string | null): void {
    if (error) {
      this.stats.sendErrors++;
      if (index === 0) {
        const code =
          error === 'EPERM'
            ? ErrorCode.localFirewall
            : error === 'ENETUNREACH' || error === 'EHOSTUNREACH'
              ? ErrorCode.noRoute
              : ErrorCode.sendFailed;
        this.finish(flight, { kind: 'local_error', code, message: `sending the SYN failed: ${error}` });
        return;
      }
    } else {
      const at = this.now();
      flight.sentAt.push(at);
      flight.ipIds.push(ipId);
      this.stats.sent++;
      if (index > 0) this.stats.retransmitted++;
      if (index === 0) this.timers.push(at + flight.timeoutMs, { key: flight.key, seq: flight.seq, send: false });
    }
    const first = flight.sentAt[0];
    const next = flight.offsets[index + 1];
    if (first !== undefined && next !== undefined) {
      this.timers.push(first + next, { key: flight.key, seq: flight.seq, send: true });
    }
  }

  private armTimer(): void {
    const at = this.timers.peekAt();
    if (at === undefined || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - this.now()));
  }

  private onTimer(): void {
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    const lanesToFlush = new Set<Lane>();
    while ((this.timers.peekAt() ?? Number.POSITIVE_INFINITY) <= now + 0.5) {
      const entry = this.timers.pop() as TimerEntry;
      const flight = this.flights.get(entry.key);
      if (!flight || flight.seq !== entry.seq) continue;
      if (entry.send) {
        const lane = this.lanes.get(flight.target.family);
        if (lane && 'transport' in lane) {
          lane.queue.push(flight);
          lanesToFlush.add(lane);
        }
      } else {
        this.finish(flight, { kind: 'timeout' });
      }
    }
    for (const lane of lanesToFlush) if (!lane.blocked) this.flush(lane);
    this.armTimer();
  }

  private onMatch(match: ReplyMatch<FlowIdentity>): void {
    if (match.kind === 'stray') {
      this.stats.stray[match.reason] = (this.stats.stray[match.reason] ?? 0) + 1;
      return;
    }
    const flight = match.probe as Flight;
    const at = this.now();
    if (match.kind === 'synack') this.finish(flight, { kind: 'synack', segment: match.segment, ttl: match.ttl, at });
    else if (match.kind === 'rst') this.finish(flight, { kind: 'rst', segment: match.segment, at });
    else
      this.finish(flight, {
        kind: 'icmp',
        type: match.type,
        code: match.code,
        from: match.from,
        quotedIpId: match.quotedIpId,
        at,
      });
  }

  private finish(flight: Flight, ending: SynEnding): void {
    if (flight.done) return;
    flight.done = true;
    this.flights.delete(flight.key);
    if (ending.kind === 'local_error') this.stats.localError++;
    else this.stats[ending.kind]++;
    flight.resolve(buildSynRecord(flight, ending));
  }

  private pickSourcePort(target: ProbeTarget): number | undefined {
    const [low, high] = this.options.sourcePortRange ?? [32768, 60999];
    const span = high - low + 1;
    for (let i = 0; i < 32; i++) {
      const port = low + (this.nextRandom() % span);
      // Unique per target port across all addresses: the flow key has no address in it.
      if (!this.flights.has(flowKey(target.port, port))) return port;
    }
    return undefined;
  }

  private bytesOf(address: string): Uint8Array {
    let bytes = this.addressBytes.get(address);
    if (!bytes) {
      bytes = addressToBytes(address);
      if (this.addressBytes.size > 65_536) this.addressBytes.clear();
      this.addressBytes.set(address, bytes);
    }
    return bytes;
  }

  private nextRandom(): number {
    if (this.randomAt >= this.random.length) {
      randomFillSync(this.random);
      this.randomAt = 0;
    }
    return this.random[this.randomAt++] as number;
  }
}
