import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { DropReason } from '@synack/shared/wire/agent-snapshot';
import { attributeDrops } from './attribute-drops.ts';
import { parseTraceLine, type TraceEvent } from './parse-trace-line.ts';
import { failedSource, type SourceReading, type SourceStatus } from './source-reading.ts';

/** Where tracefs is looked for, and how this namespace's own addresses are found. */
export interface DropTracerOptions {
  /** Default: /sys/kernel/tracing, then /sys/kernel/debug/tracing. The first mounted one is used. */
  tracefsRoots?: readonly string[];
  /** Addresses of this network namespace. Default: every address of os.networkInterfaces(). */
  localAddresses?: () => ReadonlySet<string>;
}

/** A kernel event source for the snapshots; see {@link openDropTracer}. */
export interface DropTracer {
  /** The events attributed to `ports` since the previous read (never blocks; at most 4 MiB read). */
  read(ports: readonly number[]): SourceReading<DropReason[]>;
  /** Disables the events and removes the trace instance; safe to call twice. */
  close(): void;
}

const KFREE_SKB = { group: 'skb', name: 'kfree_skb', source: 'tracefs skb:kfree_skb' } as const;
const SEND_RESET = { group: 'tcp', name: 'tcp_send_reset', source: 'tracefs tcp:tcp_send_reset' } as const;
const DEFAULT_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
const BUFFER_KB_PER_CPU = '256';
const MAX_READ_BYTES = 4 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * Starts collecting kernel drop events in a trace instance of its own
 * (`instances/synack-<pid>`, so it never disturbs other tracing; left behind if the process
 * dies without `close`, and replaced by the next agent with that pid), read without blocking at each
 * snapshot. Tracefs is not namespaced: events are kept only when attributable to a monitored
 * port on one of this namespace's addresses (see attributeDrops).
 * - `tcp:tcp_send_reset` carries both endpoints: resets for a closed port or a listener of the
 *   other family (reason NO_SOCKET) are attributed.
 * - `skb:kfree_skb` prints no ports on current kernels (its format is read to check): it is
 *   reported as a failed source, and NETFILTER_DROP is left to the firewall counters.
 * Never throws: without tracefs, or without root, both sources say why and `read` returns nothing.
 */
export function openDropTracer(options: DropTracerOptions = {}): DropTracer {
  const localAddresses = options.localAddresses ?? interfaceAddresses;
  const found = findTracefs(options.tracefsRoots ?? DEFAULT_ROOTS);
  if (typeof found !== 'string')
    return idle([failedSource(KFREE_SKB.source, found.error), failedSource(SEND_RESET.source, found.error)]);
  const root = found;

  const statuses: SourceStatus[] = [];
  const events: (typeof KFREE_SKB | typeof SEND_RESET)[] = [];
  const kfreeFormat = readFormat(root, KFREE_SKB);
  if (kfreeFormat instanceof Error) statuses.push(failedSource(KFREE_SKB.source, kfreeFormat));
  else if (!/\bfield:[^;]*\b[sd]port\b/.test(kfreeFormat)) {
    statuses.push(failedSource(KFREE_SKB.source, 'kfree_skb events carry no ports on this kernel; cannot attribute'));
  } else events.push(KFREE_SKB);
  const resetFormat = readFormat(root, SEND_RESET);
  if (resetFormat instanceof Error) statuses.push(failedSource(SEND_RESET.source, resetFormat));
  else if (!/src=%pISpc/.test(resetFormat))
    statuses.push(failedSource(SEND_RESET.source, 'tcp_send_reset prints no src=address:port on this kernel'));
  else events.push(SEND_RESET);
  if (events.length === 0) return idle(statuses);

  let instance = join(root, 'instances', `synack-${process.pid}`);
  let fd: number;
  try {
    instance = makeInstance(instance);
    writeFileSync(join(instance, 'buffer_size_kb'), BUFFER_KB_PER_CPU);
    for (const event of events) writeFileSync(join(instance, 'events', event.group, event.name, 'enable'), '1');
    fd = openSync(join(instance, 'trace_pipe'), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    removeInstance(instance, events);
    return idle([
      ...statuses,
      ...events.map((event) => failedSource(event.source, describeTraceError(cause, instance))),
    ]);
  }
  for (const event of events) statuses.push({ source: event.source, ok: true });

  const decoder = new StringDecoder('utf8');
  const chunk = Buffer.alloc(CHUNK_BYTES);
  let pending = '';
  let closed = false;
  return {
    read(ports) {
      if (closed) return { value: [], sources: statuses };
      let text = pending;
      let readError: unknown;
      for (let total = 0; total < MAX_READ_BYTES; ) {
        let bytes: number;
        try {
          bytes = readSync(fd, chunk, 0, chunk.length, null);
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code !== 'EAGAIN') readError = cause;
          break;
        }
        if (bytes === 0) break;
        total += bytes;
        text += decoder.write(chunk.subarray(0, bytes));
      }
      // A line cut by the byte limit waits for the next read.
      const cut = text.lastIndexOf('\n');
      pending = text.slice(cut + 1);
      const parsed = text
        .slice(0, cut + 1)
        .split('\n')
        .map(parseTraceLine)
        .filter((event): event is TraceEvent => event !== undefined);
      const value = attributeDrops(parsed, { ports, localAddresses: localAddresses() });
      const sources = readError === undefined ? statuses : [...statuses, failedSource('tracefs trace_pipe', readError)];
      return { value, sources };
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
      removeInstance(instance, events);
    },
  };
}

function idle(statuses: SourceStatus[]): DropTracer {
  return { read: () => ({ value: [], sources: statuses }), close: () => {} };
}

function findTracefs(roots: readonly string[]): string | { error: string } {
  for (const root of roots) {
    try {
      if (statSync(join(root, 'instances')).isDirectory()) return root;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM')
        return { error: `permission denied reading ${root} (tracefs needs root)` };
    }
  }
  return { error: `tracefs is not mounted (looked in ${roots.join(', ')})` };
}

function readFormat(root: string, event: { group: string; name: string }): string | Error {
  try {
    return readFileSync(join(root, 'events', event.group, event.name, 'format'), 'utf8');
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    return new Error(missing ? `this kernel has no ${event.group}:${event.name} event` : (cause as Error).message, {
      cause,
    });
  }
}

// Returns the instance made: `synack-<pid>`, or with a random suffix when that one is in use.
function makeInstance(instance: string): string {
  try {
    mkdirSync(instance);
    return instance;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause;
  }
  try {
    // Left by an earlier process with our pid (a crash): ours to replace.
    rmdirSync(instance);
    mkdirSync(instance);
    return instance;
  } catch {
    // Busy: an agent in another pid namespace has the same pid (tracefs is shared).
    const other = `${instance}-${randomBytes(4).toString('hex')}`;
    mkdirSync(other);
    return other;
  }
}

// The kernel refuses to remove an instance while its trace_pipe is open (EBUSY): close it first.
function removeInstance(instance: string, events: readonly { group: string; name: string }[]): void {
  for (const event of events) {
    try {
      writeFileSync(join(instance, 'events', event.group, event.name, 'enable'), '0');
    } catch {
      // The instance was never made, or is half made: removing it is all that is left.
    }
  }
  try {
    rmdirSync(instance);
  } catch {
    // Nothing to remove, or the kernel kept it; a later agent with this pid replaces it.
  }
}

function describeTraceError(cause: unknown, instance: string): string {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM')
    return `permission denied creating the trace instance ${instance} (needs root)`;
  return cause instanceof Error ? cause.message : String(cause);
}

function interfaceAddresses(): ReadonlySet<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((info) => (info ? [info.address] : [])),
  );
}
