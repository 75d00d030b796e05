// Types for the parts of npm `raw-socket` synack uses (the package ships none).
declare module 'raw-socket' {
  import type { EventEmitter } from 'node:events';

  export interface SocketWrap extends EventEmitter {
    recv(buffer: Buffer, callback: (buffer: Buffer, bytes: number, source: string) => void): SocketWrap;
    send(
      buffer: Buffer,
      offset: number,
      length: number,
      address: string,
      callback: (bytes: number) => void,
    ): SocketWrap;
  }

  export interface Socket extends EventEmitter {
    readonly wrap: SocketWrap;
    close(): Socket;
    setOption(level: number, option: number, value: number): void;
    setOption(level: number, option: number, value: Buffer, length: number): void;
    pauseSend(): Socket;
    resumeSend(): Socket;
    pauseRecv(): Socket;
    resumeRecv(): Socket;
  }

  const raw: {
    createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): Socket;
    AddressFamily: { IPv4: number; IPv6: number };
    Protocol: { None: number; ICMP: number; TCP: number; UDP: number; ICMPv6: number };
  };
  export default raw;
}
