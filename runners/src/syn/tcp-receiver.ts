import { createRequire } from 'node:module';
import type { AddressFamily } from '@synack/shared/address-family';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';

type Native = {
  open(family: 4 | 6, onReadable: (errno: number) => void, receiveBufferBytes: number): object;
  read(handle: object, packet: Uint8Array, meta: Uint8Array): number;
  close(handle: object): void;
};

const EAGAIN = 11;
const META_BYTES = 20;

/**
 * The raw TCP socket that replies are read from, with recvmsg(): on IPv6 each packet comes with
 * its hop limit (IPV6_HOPLIMIT ancillary data), which raw-socket's recvfrom() cannot deliver, and
 * reads never throw and never allocate, which raw-socket's do. IPv4 packets include their IP
 * header. Built from runners/native/tcp-receiver.c by `npm install`.
 */
export class TcpReceiver {
  /** The sender of the last packet read (IPv6 only: IPv4 packets carry it in their header). */
  readonly peer: Uint8Array;
  private readonly meta = new Uint8Array(META_BYTES);
  private readonly view = new DataView(this.meta.buffer);
  private readonly native: Native;
  private readonly handle: object;
  private closed = false;

  /** `onReadable(errno)` runs when packets are waiting (errno 0) or polling failed. */
  constructor(family: AddressFamily, onReadable: (errno: number) => void, receiveBufferBytes: number) {
    this.native = loadNative();
    try {
      this.handle = this.native.open(family === 'v4' ? 4 : 6, onReadable, receiveBufferBytes);
    } catch (cause) {
      const errno = (cause as { errno?: number }).errno;
      const code = errno === 1 || errno === 13 ? ErrorCode.rawSocketDenied : ErrorCode.socketFailed;
      const message = `cannot open the raw ${family} TCP receive socket: ${(cause as Error).message}`;
      throw new SynackError(code, message, { cause });
    }
    this.peer = family === 'v6' ? this.meta.subarray(0, 16) : new Uint8Array(0);
  }

  /** The IPv6 hop limit of the last packet read, or -1 (always on IPv4: the TTL is in the packet). */
  get hopLimit(): number {
    return this.view.getInt32(16, true);
  }

  /**
   * Reads one packet into `packet`. Returns its length, `0` when nothing is waiting, or `-errno`
   * on a read error.
   */
  read(packet: Uint8Array): number {
    if (this.closed) return 0;
    const length = this.native.read(this.handle, packet, this.meta);
    if (length >= 0) return length;
    return length === -EAGAIN ? 0 : length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close(this.handle);
  }
}

let native: Native | undefined;

// Loaded on first use, like raw-socket: a build problem costs the raw SYN probes only.
function loadNative(): Native {
  if (!native) {
    try {
      native = createRequire(import.meta.url)('../../build/Release/tcp_receiver.node') as Native;
    } catch (cause) {
      throw new SynackError(
        ErrorCode.socketFailed,
        `the tcp-receiver addon failed to load (run npm install): ${(cause as Error).message.split('\n')[0]}`,
        { cause },
      );
    }
  }
  return native;
}
