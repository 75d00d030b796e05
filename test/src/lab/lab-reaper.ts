import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

/** What must not outlive the test process: namespaces to delete and process groups to kill. */
export interface Leftovers {
  ip: string;
  namespaces: readonly string[];
  pids: Set<number>;
}

const pending = new Set<Leftovers>();
let hooked = false;

function reapAll(): void {
  // 'exit' handlers must be synchronous: process.kill and execFileSync are.
  for (const { ip, namespaces, pids } of pending) {
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const ns of namespaces) {
      try {
        execFileSync(ip, ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 });
      } catch {
        // Already deleted, or nothing more we can do while exiting.
      }
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
  pending.clear();
}

/**
 * Registers `leftovers` to be cleaned up synchronously on process 'exit', for a test that crashed
 * before `destroy()`. Returns the function that unregisters them once `destroy()` has done the job.
 * Death by an unhandled signal skips 'exit' handlers; remove what such a run left behind (names
 * start with `sk`, see `ip netns list`) with `ip netns del NAME`.
 */
export function reapOnExit(leftovers: Leftovers): () => void {
  if (!hooked) {
    process.on('exit', reapAll);
    hooked = true;
  }
  pending.add(leftovers);
  return () => {
    pending.delete(leftovers);
  };
}
