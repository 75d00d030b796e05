import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type CaptureOptions = {
  interface: string;
  /** pcap-filter(7) expression. */
  filter: string;
  path: string;
  /** Kernel capture buffer, KiB (tcpdump -B). */
  bufferKiB?: number;
};

/** tcpdump's own end-of-run counters; `null` where this tcpdump did not print one. */
export type CaptureStats = {
  captured: number | null;
  receivedByFilter: number | null;
  droppedByKernel: number | null;
  droppedByInterface: number | null;
  /** tcpdump's own CPU time: it shares the host's cores with the prober. */
  cpuSeconds: number | null;
};

export type RunningCapture = {
  /** The timestamp source tcpdump used (`tcpdump -j`): `host` unless the NIC offers better. */
  tsType: string;
  /** The precision asked for; the file's magic number is what counts. */
  tsPrecision: 'nano' | 'micro';
  /**
   * Resolves `true` once `has(file bytes)` holds, re-checking on every write to the file; `false`
   * after `timeoutMs`. SIGINT makes tcpdump drop what still sits in the kernel's capture ring
   * (TPACKET_V3 hands over a block only when it fills or its timeout passes), so before stopping,
   * wait here for a packet sent after everything that must be in the file.
   */
  fileHas(has: (bytes: Uint8Array) => boolean, timeoutMs: number): Promise<boolean>;
  /** SIGINT, then waits for exit, by which time tcpdump has written out what it read. */
  stop(): Promise<CaptureStats>;
};

// Best first: a NIC clock, if any, stamps nearer the wire than the kernel does.
const PREFERRED_TS_TYPES = ['adapter_unsynced', 'adapter', 'host'];

/**
 * Starts tcpdump writing `path` and resolves once it prints "listening on", the point after which
 * every matching packet is captured, so nothing sent afterwards can be missed. Must run in the
 * network namespace of the interface. Tries nanosecond timestamps first and falls back to
 * microseconds on a tcpdump or kernel without them.
 */
export async function startCapture(options: CaptureOptions): Promise<RunningCapture> {
  const tsType = bestTsType(options.interface);
  let lastError = '';
  for (const tsPrecision of ['nano', 'micro'] as const) {
    const args = [
      '-i',
      options.interface,
      '-n',
      // Packet-buffered: the file is complete up to the last packet at any moment.
      '-U',
      '-B',
      String(options.bufferKiB ?? 65_536),
      // Headers only: IPv6 40 + TCP 60 + link layer fit; less to copy and write per packet.
      '-s',
      '192',
      // Stay root: Debian's tcpdump otherwise drops to its own user, which may not write `path`.
      '-Z',
      'root',
      `--time-stamp-precision=${tsPrecision}`,
      ...(tsType === 'host' ? [] : ['-j', tsType]),
      '-w',
      options.path,
      options.filter,
    ];
    const child = spawn('tcpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr = collect(child);
    const ready = await listening(child, stderr);
    if (ready) {
      return {
        tsType,
        tsPrecision,
        fileHas: (has, timeoutMs) => fileHas(options.path, has, timeoutMs),
        stop: () => stop(child, stderr),
      };
    }
    lastError = stderr.text.trim();
  }
  throw new Error(`tcpdump did not start: ${lastError}`);
}

function bestTsType(iface: string): string {
  let listing = '';
  try {
    listing = execFileSync('tcpdump', ['-J', '-i', iface], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return 'host';
  }
  const offered = new Set([...listing.matchAll(/^\s+(\S+)\s+\(/gm)].map((m) => m[1]));
  return PREFERRED_TS_TYPES.find((type) => offered.has(type)) ?? 'host';
}

function collect(child: ChildProcess): { text: string } {
  const sink = { text: '' };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    sink.text += chunk;
  });
  return sink;
}

// True once "listening on" is printed; false if tcpdump exits first.
function listening(child: ChildProcess, stderr: { text: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const onData = () => {
      if (stderr.text.includes('listening on')) done(true);
    };
    const onExit = () => done(false);
    const done = (ok: boolean) => {
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onExit);
      resolve(ok);
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onExit);
  });
}

function fileHas(path: string, has: (bytes: Uint8Array) => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let checking = false;
    let again = false;
    let settled = false;
    const watcher = watch(path);
    const finish = (result: boolean | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    // One read at a time; writes during a read ask for one more, so none is missed.
    const check = async () => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      do {
        again = false;
        if (has(await readFile(path))) return finish(true);
      } while (again && !settled);
      checking = false;
    };
    const run = () => void check().catch((error: Error) => finish(error));
    watcher.on('change', run);
    watcher.on('error', (error) => finish(error));
    run();
  });
}

async function stop(child: ChildProcess, stderr: { text: string }): Promise<CaptureStats> {
  // 'close' (not 'exit') also waits for stderr to end, so the final counters are in.
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const cpuSeconds = child.pid === undefined ? null : processCpuSeconds(child.pid);
  child.kill('SIGINT');
  const code = await closed;
  if (code !== 0) throw new Error(`tcpdump exited with ${code}: ${stderr.text.trim()}`);
  const count = (label: string) => {
    const match = new RegExp(`(\\d+) packets? ${label}`).exec(stderr.text);
    return match ? Number(match[1]) : null;
  };
  return {
    captured: count('captured'),
    receivedByFilter: count('received by filter'),
    droppedByKernel: count('dropped by kernel'),
    droppedByInterface: count('dropped by interface'),
    cpuSeconds,
  };
}

// utime + stime from /proc/PID/stat, in clock ticks of 1/100 s (USER_HZ on Linux).
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
