import { createRequire } from 'node:module';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';

type Native = {
  open(onReadable: (errno: number) => void, receiveBufferBytes: number): object;
  read(handle: object, packet: Uint8Array, meta: Uint8Array): number;
  close(handle: object): void;
};

const EAGAIN = 11;
const META_BYTES = 20;

/**
 * A raw IPv6 TCP socket read with recvmsg(), so that each packet comes with its hop limit
 * (IPV6_HOPLIMIT ancillary data), which raw-socket's recvfrom() cannot deliver. Built from
 * runners/native/tcp6-receiver.c by `npm install`. Reads never throw and never allocate.
 */
export class Tcp6Receiver {
  /** The sender of the last packet read: 16 address bytes. Overwritten by the next read. */
  readonly peer: Uint8Array;
  private readonly meta = new Uint8Array(META_BYTES);
  private readonly view = new DataView(this.meta.buffer);
  private readonly native: Native;
  private readonly handle: object;
  private closed = false;

  /** `onReadable(errno)` runs when packets are waiting (errno 0) or polling failed. */
  constructor(onReadable: (errno: number) => void, receiveBufferBytes: number) {
    this.native = loadNative();
    try {
      this.handle = this.native.open(onReadable, receiveBufferBytes);
    } catch (cause) {
      const errno = (cause as { errno?: number }).errno;
      const code = errno === 1 || errno === 13 ? ErrorCode.rawSocketDenied : ErrorCode.socketFailed;
      throw new SynackError(code, `cannot open the raw IPv6 receive socket: ${(cause as Error).message}`, { cause });
    }
    this.peer = this.meta.subarray(0, 16);
  }

  /** The hop limit of the last packet read, or -1 when the kernel gave none. */
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

// Loaded on first use, like raw-socket: a build problem costs the IPv6 SYN probes only.
function loadNative(): Native {
  if (!native) {
    try {
      native = createRequire(import.meta.url)('../../build/Release/tcp6_receiver.node') as Native;
    } catch (cause) {
      throw new SynackError(
        ErrorCode.socketFailed,
        `the tcp6-receiver addon failed to load (run npm install): ${(cause as Error).message.split('\n')[0]}`,
        { cause },
      );
    }
  }
  return native;
}
