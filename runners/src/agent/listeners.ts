import { createRequire } from 'node:module';
import type { Listener } from '@synack/shared/wire/agent-snapshot';
import { type SockDiagDump, selectListeners } from './select-listeners.ts';
import { failedSource, type SourceReading, type SourceStatus } from './source-reading.ts';

/** The sock-diag addon (runners/native/sock-diag.c). */
export interface SockDiagNative {
  listeners(family: 4 | 6): SockDiagDump;
}

/**
 * The listening sockets on `ports` in this network namespace, with their accept queue now and
 * its limit, IPV6_V6ONLY and the SYN-RECV count of their port, like `ss -ltn` (netlink
 * NETLINK_SOCK_DIAG; no privilege needed). Each family has its own status; a family that fails
 * (or an addon that was not built) leaves its listeners out and says why. `load` is for tests.
 */
export function readListeners(
  ports: readonly number[],
  load: () => SockDiagNative = loadSockDiag,
): SourceReading<Listener[]> {
  const dumps: { v4?: SockDiagDump; v6?: SockDiagDump } = {};
  const sources: SourceStatus[] = [];
  for (const family of ['v4', 'v6'] as const) {
    const source = `netlink sock_diag ${family}`;
    try {
      const dump = load().listeners(family === 'v4' ? 4 : 6);
      dumps[family] = dump;
      sources.push(
        dump.truncated
          ? failedSource(source, 'more than 65536 listeners: the list is truncated')
          : { source, ok: true },
      );
    } catch (cause) {
      sources.push(failedSource(source, cause));
    }
  }
  return { value: selectListeners(dumps, ports), sources };
}

let native: SockDiagNative | undefined;

// Loaded on first use, like tcp-receiver: a build problem costs the listener list only.
function loadSockDiag(): SockDiagNative {
  if (!native) {
    try {
      native = createRequire(import.meta.url)('../../build/Release/sock_diag.node') as SockDiagNative;
    } catch (cause) {
      const firstLine = (cause as Error).message.split('\n')[0];
      throw new Error(`the sock-diag addon failed to load (run npm install in runners): ${firstLine}`, { cause });
    }
  }
  return native;
}
