import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import type { AddressFamily } from '@synack/shared/address-family';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import type RawSocketModule from 'raw-socket';
import type { Socket as RawSocket } from 'raw-socket';
import { errnoFromMessage } from './errno-from-message.ts';
import { TcpReceiver } from './tcp-receiver.ts';

/** Called for every ICMP packet read; `bytes` is only valid during the call. */
export type PacketHandler = (bytes: Buffer, length: number, peer: string) => void;

/**
 * Called for every TCP packet read; `bytes` and `peer` are only valid during the call. IPv4
 * packets start with their IP header, which holds the addresses and the TTL (`peer` is empty and
 * `hopLimit` -1); IPv6 packets are the bare segment, with the sender's 16 address bytes and the
 * hop limit it arrived with.
 */
export type TcpPacketHandler = (bytes: Buffer, length: number, peer: Uint8Array, hopLimit: number) => void;

/** The result of one send: `null` when it left, otherwise the errno name. */
export type SendResult = string | null;

const PROTO = { tcp: 6, icmp: 1, icmpv6: 58, raw: 255 } as const;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IPPROTO_IPV6 = 41;
const IPV6_UNICAST_HOPS = 16;
const IPV6_CHECKSUM = 7;
const TCP_CHECKSUM_OFFSET = 16;
const IPPROTO_ICMPV6 = 58;
const SOL_RAW = 255;
const ICMP_FILTER = 1;
const ICMP6_FILTER = 1;
// Enough for a burst of tens of thousands of replies between two event-loop turns.
const RECEIVE_BUFFER_BYTES = 16 << 20;
// Bounded so that one flood cannot starve timers and sends.
const MAX_READS_PER_WAKEUP = 4096;

/** What the SYN engine needs from the sockets of one family; `RawTransport` is the real one. */
export type SynTransport = {
  /** Read and socket errors by errno, counted rather than thrown (the loop goes on). */
  readonly errors: Record<string, number>;
  send(packet: Buffer, destination: string, hopLimit: number, length: number): SendResult;
  waitWritable(): void;
  readTcpNow(): void;
  close(): void;
};

/** Opens the transport of a family, wired to the engine's packet and writability callbacks. */
export type OpenTransport = (
  family: AddressFamily,
  onTcp: TcpPacketHandler,
  onIcmp: PacketHandler,
  onWritable: () => void,
) => SynTransport;

export const openRawTransport: OpenTransport = (family, onTcp, onIcmp, onWritable) =>
  new RawTransport(family, onTcp, onIcmp, onWritable);

/**
 * The raw sockets of one address family: a raw-socket TCP socket that sends the SYNs, a
 * `TcpReceiver` that reads the replies, and a raw-socket ICMP/ICMPv6 socket that reads the errors
 * quoting our SYNs. IPv4 uses IP_HDRINCL so that each SYN carries its own TTL and IP id; IPv6 sets
 * the hop limit per send. Reads drain every waiting packet per wake-up (raw-socket reads one per
 * readiness event), which is what keeps replies from being lost at high probe rates.
 */
export class RawTransport implements SynTransport {
  readonly errors: Record<string, number> = {};
  readonly family: AddressFamily;
  private readonly tcp: RawSocket;
  private readonly icmp: RawSocket;
  private readonly buffer = Buffer.alloc(65_536);
  private readonly receiver: TcpReceiver;
  private hopLimit = -1;
  private closed = false;
  private drainScheduled = false;

  constructor(family: AddressFamily, onTcp: TcpPacketHandler, onIcmp: PacketHandler, onWritable: () => void) {
    this.family = family;
    const raw = loadRawSocket();
    const addressFamily = family === 'v4' ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6;
    try {
      // IPv4: IPPROTO_RAW sends with our own IP header (IP_HDRINCL) and receives nothing, so
      // replies are not also copied to this send-only socket.
      this.tcp = raw.createSocket({ protocol: family === 'v4' ? PROTO.raw : PROTO.tcp, addressFamily });
      this.icmp = raw.createSocket({ protocol: family === 'v4' ? PROTO.icmp : PROTO.icmpv6, addressFamily });
    } catch (cause) {
      const errno = errnoFromMessage(String((cause as Error).message));
      const code = errno === 'EPERM' || errno === 'EACCES' ? ErrorCode.rawSocketDenied : ErrorCode.socketFailed;
      throw new SynackError(code, `cannot open raw ${family} sockets: ${(cause as Error).message}`, { cause });
    }
    if (family === 'v4') this.tcp.setOption(IPPROTO_IP, IP_HDRINCL, 1);
    // RFC 3542 3.1: the kernel fills the TCP checksum (offset 16) with the source address it
    // really sends from. Ours uses a cached route lookup, which can be stale after an IPv6
    // address or route change; a wrong checksum would turn the probe into silent loss.
    else this.tcp.setOption(IPPROTO_IPV6, IPV6_CHECKSUM, TCP_CHECKSUM_OFFSET);
    for (const socket of [this.tcp, this.icmp]) {
      // Raw sockets deliver every packet of the protocol; a socket error must not crash the process.
      socket.on('error', (error: Error) => this.count(errnoFromMessage(error.message) ?? 'socket_error'));
    }
    setReceiveBuffer(this.icmp, RECEIVE_BUFFER_BYTES);
    this.installIcmpFilter();
    this.takeOverReads(this.icmp, onIcmp);
    // Replies are read by the receiver's own socket. The IPv6 send socket gets a copy of every
    // TCP packet too: it is never read, and the smallest buffer the kernel allows makes it drop
    // those copies at once.
    this.tcp.pauseRecv();
    setReceiveBuffer(this.tcp, 0);
    try {
      this.receiver = this.openReceiver(onTcp);
    } catch (error) {
      this.tcp.close();
      this.icmp.close();
      throw error;
    }
    this.tcp.wrap.on('sendReady', () => {
      this.drainMicrotasksSoon();
      this.tcp.pauseSend();
      onWritable();
    });
  }

  // raw-socket calls into JS with Nan::Call, not node::MakeCallback, so promise reactions queued
  // while handling a packet (an attempt resolving) would wait for some unrelated later event:
  // seen as a finished probe reported only when the next timer fired. An immediate runs them.
  private drainMicrotasksSoon(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
    });
  }

  /**
   * Sends the first `length` bytes of `packet` synchronously. IPv4 packets include their IP
   * header; `hopLimit` applies to IPv6 only (-1 restores the route's default). Returns the errno
   * name on failure.
   */
  send(packet: Buffer, destination: string, hopLimit = -1, length = packet.length): SendResult {
    if (this.closed) return 'EBADF';
    try {
      if (this.family === 'v6' && hopLimit !== this.hopLimit) {
        const value = Buffer.alloc(4);
        value.writeInt32LE(hopLimit);
        this.tcp.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, value, 4);
        this.hopLimit = hopLimit;
      }
      this.tcp.wrap.send(packet, 0, length, destination, noop);
      return null;
    } catch (error) {
      return errnoFromMessage((error as Error).message) ?? 'EIO';
    }
  }

  /** Asks for one `onWritable` call once the socket can take more (after EAGAIN/ENOBUFS). */
  waitWritable(): void {
    if (!this.closed) this.tcp.resumeSend();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tcp.close();
    this.icmp.close();
    this.receiver.close();
  }

  private count(errno: string): void {
    this.errors[errno] = (this.errors[errno] ?? 0) + 1;
  }

  /**
   * Reads the replies already waiting on the TCP socket, now. The engine calls this between sends
   * of a batch: on a short path the SYN-ACK is back before the batch ends, and an answer read only
   * after the whole batch would carry the rest of the batch in its RTT.
   */
  readTcpNow(): void {
    this.readTcp();
  }

  private readTcp: () => void = noop;

  private openReceiver(onTcp: TcpPacketHandler): TcpReceiver {
    const buffer = this.buffer;
    const read = () => {
      const receiver = this.receiver;
      for (let i = 0; i < MAX_READS_PER_WAKEUP && !this.closed; i++) {
        const length = receiver.read(buffer);
        if (length === 0) return;
        if (length < 0) {
          this.count(errnoName(-length));
          return;
        }
        onTcp(buffer, length, receiver.peer, receiver.hopLimit);
      }
    };
    this.readTcp = read;
    return new TcpReceiver(
      this.family,
      (errno) => {
        if (errno === 0) read();
        else this.count(errnoName(errno));
      },
      RECEIVE_BUFFER_BYTES,
    );
  }

  private takeOverReads(socket: RawSocket, handler: PacketHandler): void {
    const buffer = this.buffer;
    let peer = '';
    let length = 0;
    const capture = (_b: Buffer, bytes: number, source: string) => {
      length = bytes;
      peer = source;
    };
    const read = () => {
      this.drainMicrotasksSoon();
      for (let i = 0; i < MAX_READS_PER_WAKEUP && !this.closed; i++) {
        try {
          socket.wrap.recv(buffer, capture);
        } catch (error) {
          // EAGAIN: drained. Any other read error is counted; nothing is left to read either way.
          const errno = errnoFromMessage((error as Error).message);
          if (errno !== 'EAGAIN') this.count(errno ?? 'read_error');
          return;
        }
        handler(buffer, length, peer);
      }
    };
    socket.wrap.removeAllListeners('recvReady');
    socket.wrap.on('recvReady', read);
  }

  // Only the error types that can quote a SYN reach us: less work per packet on busy hosts.
  private installIcmpFilter(): void {
    if (this.family === 'v4') {
      // linux/icmp.h ICMP_FILTER: a set bit blocks that type.
      const pass = (1 << 3) | (1 << 11) | (1 << 12);
      const mask = Buffer.alloc(4);
      mask.writeUInt32LE(~pass >>> 0);
      this.icmp.setOption(SOL_RAW, ICMP_FILTER, mask, 4);
      return;
    }
    // RFC 3542 3.2 icmp6_filter: 256 bits, set = block; types 1-4 are the errors.
    const filter = Buffer.alloc(32, 0xff);
    filter.writeUInt32LE((0xffffffff & ~0b11110) >>> 0, 0);
    this.icmp.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, filter, 32);
  }
}

let rawSocket: typeof RawSocketModule | undefined;

// The native addon is loaded on first use, not at import: a build or ABI problem must cost the
// raw SYN probes only (as local_error records), never the CLI or the connect probes.
function loadRawSocket(): typeof RawSocketModule {
  if (!rawSocket) {
    try {
      rawSocket = createRequire(import.meta.url)('raw-socket') as typeof RawSocketModule;
    } catch (cause) {
      throw new SynackError(
        ErrorCode.socketFailed,
        `the raw-socket addon failed to load: ${(cause as Error).message.split('\n')[0]}`,
        {
          cause,
        },
      );
    }
  }
  return rawSocket;
}

function setReceiveBuffer(socket: RawSocket, bytes: number): void {
  try {
    socket.setOption(SOL_SOCKET, SO_RCVBUFFORCE, bytes);
  } catch {
    try {
      socket.setOption(SOL_SOCKET, SO_RCVBUF, bytes);
    } catch {
      // The default buffer still works, just with less headroom for bursts.
    }
  }
}

function noop(): void {}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno_${errno}`;
  }
}
