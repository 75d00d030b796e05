import { randomFillSync } from 'node:crypto';
import type { AddressFamily } from '@synack/shared/address-family';
import type { ProbeTarget, SynAttemptRecord } from '@synack/shared/attempt-record';
import { localErrorFromErrno } from '@synack/shared/local-error';
import { ErrorCode, isSynackError } from '@synack/shared/synack-error';
import type { SourceLookup, SourceResolver } from '../net/source-address.ts';
import { addressToBytes, canonicalAddress } from '../packet/ip-address-bytes.ts';
import { type FlowIdentity, flowKey, matchIcmpReply, matchTcpReply, type ReplyMatch } from '../packet/reply-matcher.ts';
import { encodeSynInto, type SynSpec } from '../packet/syn-encoder.ts';
import { nextAttemptId } from '../probe/attempt-id.ts';
import { DeadlineQueues, TimerKind } from './deadline-queues.ts';
import { RAW_SOCKET_DENIED_MESSAGE } from './raw-capability.ts';
import { type OpenTransport, openRawTransport, type SynTransport } from './raw-transport.ts';
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
  sources: Pick<SourceResolver, 'lookup' | 'cached'>;
  /** Source ports are drawn at random from this range. Default: Linux's ephemeral 32768–60999. */
  sourcePortRange?: readonly [number, number];
  now?: () => number;
  /** Opens the sockets of a family; tests pass a fake. Default: raw sockets (`RawTransport`). */
  openTransport?: OpenTransport;
};

type Flight = FlowIdentity &
  SynAttemptState & {
    key: number;
    /** Wait before each retransmission, from the previous send (RTO, doubling). */
    gaps: readonly number[];
    timeoutMs: number;
    deadline: number;
    sentAt: number[];
    ipIds: number[];
    done: boolean;
    resolve: (record: SynAttemptRecord) => void;
  };

/** What is known of an attempt before it is sent. */
type Attempt = {
  request: SynProbeRequest;
  target: ProbeTarget;
  id: string;
  startedAt: string;
  origin: number;
};

// Shared by every flight until its first SYN leaves; an exactly sized array replaces it then,
// because an empty array's first push allocates room for 17.
const NOTHING_SENT: number[] = [];

// `scratch` and `spec` are reused for every SYN of the lane: sends are synchronous.
type Lane = {
  transport: SynTransport;
  queue: Flight[];
  head: number;
  blocked: boolean;
  scratch: Buffer;
  spec: SynSpec;
};

const BACKPRESSURE = new Set(['EAGAIN', 'ENOBUFS']);
const DEFAULT_TTL = 64;
// Replies are read every few sends of a batch, so a fast answer is timestamped close to its
// arrival rather than after the whole batch (about 10 µs per send on veth).
const READ_EVERY_SENDS = 4;

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
  private readonly timers = new DeadlineQueues();
  private readonly gapsByPolicy = new WeakMap<RetransmitPolicy, readonly number[]>();
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

  /** Raw-socket read and socket errors per family, for self-monitoring. */
  transportErrors(): Partial<Record<AddressFamily, Record<string, number>>> {
    const out: Partial<Record<AddressFamily, Record<string, number>>> = {};
    for (const [family, lane] of this.lanes) if ('transport' in lane) out[family] = { ...lane.transport.errors };
    return out;
  }

  /**
   * Runs one attempt. Resolves with its record once answered, timed out or failed locally; never
   * rejects. Not `async`: with a cached route lookup everything up to the send is synchronous,
   * which matters at tens of thousands of attempts per second.
   */
  probe(request: SynProbeRequest): Promise<SynAttemptRecord> {
    const address = canonicalAddress(request.target.address);
    const target = address === request.target.address ? request.target : { ...request.target, address };
    const attempt: Attempt = {
      request,
      target,
      id: nextAttemptId(),
      startedAt: new Date().toISOString(),
      origin: this.now(),
    };
    if (this.closed) return Promise.resolve(this.fail(attempt, ErrorCode.engineClosed, 'the SYN engine is closed'));
    const lane = this.lane(target.family);
    if ('error' in lane) return Promise.resolve(this.fail(attempt, lane.code, lane.error));
    // A fresh cached route lookup is used synchronously; otherwise wait for the kernel's answer.
    const cached = this.options.sources.cached(target.family, address);
    if (cached) return Promise.resolve(this.start(attempt, lane, cached));
    return this.options.sources.lookup(target.family, address).then((source) => this.start(attempt, lane, source));
  }

  private start(attempt: Attempt, lane: Lane, source: SourceLookup): SynAttemptRecord | Promise<SynAttemptRecord> {
    const { target, request } = attempt;
    if (!source.ok) {
      const local = localErrorFromErrno(source.errno, 'route', target.address);
      return this.fail(attempt, local.code, local.message);
    }
    if (this.closed) return this.fail(attempt, ErrorCode.engineClosed, 'the SYN engine is closed');
    const sourcePort = this.pickSourcePort(target.port);
    if (sourcePort === undefined) {
      return this.fail(
        attempt,
        ErrorCode.portsExhausted,
        `no free source port toward ${target.address}:${target.port}`,
      );
    }
    const { promise, resolve } = Promise.withResolvers<SynAttemptRecord>();
    const flight: Flight = {
      id: attempt.id,
      target,
      source: { address: canonicalAddress(source.address), port: sourcePort },
      startedAt: attempt.startedAt,
      origin: attempt.origin,
      key: flowKey(target.port, sourcePort),
      targetAddress: target.address,
      targetPort: target.port,
      sourcePort,
      seq: this.nextRandom(),
      tsBase: this.nextRandom(),
      sourceBytes: this.bytesOf(source.address),
      targetBytes: this.bytesOf(target.address),
      gaps: this.sendGaps(request.policy),
      timeoutMs: request.policy.timeoutMs,
      deadline: Number.POSITIVE_INFINITY,
      sentAt: NOTHING_SENT,
      ipIds: NOTHING_SENT,
      done: false,
      resolve,
    };
    if (request.ttl !== undefined) flight.sentTtl = request.ttl;
    this.flights.set(flight.key, flight);
    if (this.flights.size > this.stats.peakInFlight) this.stats.peakInFlight = this.flights.size;
    this.enqueue(lane, flight);
    return promise;
  }

  private fail(attempt: Attempt, code: string, message: string): SynAttemptRecord {
    this.stats.localError++;
    const { id, target, startedAt, origin, request } = attempt;
    const state: SynAttemptState = { id, target, source: null, startedAt, origin, sentAt: [], ipIds: [], tsBase: 0 };
    if (request.ttl !== undefined) state.sentTtl = request.ttl;
    return buildSynRecord(state, { kind: 'local_error', code, message });
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
        const transport = (this.options.openTransport ?? openRawTransport)(
          family,
          (bytes, length, peer, hopLimit) =>
            this.onMatch(matchTcpReply(family, bytes, length, peer, hopLimit, this.lookup)),
          (bytes, length, peer) => this.onMatch(matchIcmpReply(family, bytes, length, peer, this.lookup)),
          () => {
            if (ref.lane) {
              ref.lane.blocked = false;
              this.flush(ref.lane);
            }
          },
        );
        const empty = new Uint8Array(0);
        const spec: SynSpec = {
          family,
          source: empty,
          destination: empty,
          sourcePort: 0,
          destinationPort: 0,
          seq: 0,
          tsVal: 0,
        };
        ref.lane = { transport, queue: [], head: 0, blocked: false, scratch: Buffer.alloc(128), spec };
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
    let sentInBatch = 0;
    while (lane.head < lane.queue.length && !lane.blocked) {
      const flight = lane.queue[lane.head] as Flight;
      if (flight.done) {
        lane.head++;
        continue;
      }
      const index = flight.sentAt.length;
      const ipId = this.nextRandom() & 0xffff || 1;
      const ttl = flight.sentTtl ?? DEFAULT_TTL;
      const spec = lane.spec;
      spec.source = flight.sourceBytes;
      spec.destination = flight.targetBytes;
      spec.sourcePort = flight.sourcePort;
      spec.destinationPort = flight.targetPort;
      spec.seq = flight.seq;
      spec.tsVal = (flight.tsBase + index) >>> 0;
      spec.ttl = ttl;
      spec.ipId = ipId;
      const length = encodeSynInto(spec, lane.scratch);
      const error = lane.transport.send(lane.scratch, flight.targetAddress, flight.sentTtl ?? -1, length);
      if (error && BACKPRESSURE.has(error)) {
        lane.blocked = true;
        lane.transport.waitWritable();
        break;
      }
      lane.head++;
      this.afterSend(flight, index, ipId, error);
      if (++sentInBatch % READ_EVERY_SENDS === 0) lane.transport.readTcpNow();
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
    const at = this.now();
    if (error) {
      this.stats.sendErrors++;
      if (index === 0) {
        this.finish(flight, { kind: 'local_error', ...localErrorFromErrno(error, 'send', flight.targetAddress) });
        return;
      }
    } else {
      if (flight.sentAt === NOTHING_SENT) {
        flight.sentAt = [at];
        flight.ipIds = [ipId];
      } else {
        flight.sentAt.push(at);
        flight.ipIds.push(ipId);
      }
      this.stats.sent++;
      if (index > 0) this.stats.retransmitted++;
      if (index === 0) {
        flight.deadline = at + flight.timeoutMs;
        this.timers.push(at, flight.timeoutMs, flight.key, flight.seq, TimerKind.expire);
      }
    }
    // RFC 6298 5.1: the retransmission timer runs from the (re)transmission just made.
    const gap = flight.gaps[index];
    if (gap !== undefined) this.timers.push(at, gap, flight.key, flight.seq, TimerKind.send);
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
    // Half a millisecond early is on time: setTimeout has 1 ms granularity.
    this.timers.popDue(now + 0.5, (key, seq, kind) => {
      const flight = this.flights.get(key);
      if (!flight || flight.seq !== seq) return; // answered meanwhile, or a later attempt's key
      if (kind === TimerKind.expire) {
        this.finish(flight, { kind: 'timeout' });
      } else if (now < flight.deadline) {
        const lane = this.lanes.get(flight.target.family);
        if (lane && 'transport' in lane) {
          lane.queue.push(flight);
          lanesToFlush.add(lane);
        }
      }
    });
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
        quotedTsVal: match.quotedTsVal,
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

  private pickSourcePort(targetPort: number): number | undefined {
    const [low, high] = this.options.sourcePortRange ?? [32768, 60999];
    const span = high - low + 1;
    // A random start, then a scan: random, yet a free port is found whenever one exists.
    const start = this.nextRandom() % span;
    for (let i = 0; i < span; i++) {
      const port = low + ((start + i) % span);
      // Unique per target port across all addresses: the flow key has no address in it.
      if (!this.flights.has(flowKey(targetPort, port))) return port;
    }
    return undefined;
  }

  // Gaps between SYNs, computed once per policy object (a session shares one).
  private sendGaps(policy: RetransmitPolicy): readonly number[] {
    let gaps = this.gapsByPolicy.get(policy);
    if (!gaps) {
      const offsets = synSendOffsetsMs(policy);
      gaps = offsets.slice(1).map((offset, i) => offset - (offsets[i] as number));
      this.gapsByPolicy.set(policy, gaps);
    }
    return gaps;
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
