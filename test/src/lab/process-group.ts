import type { ChildProcess } from 'node:child_process';

/** True once the child has exited or been killed. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Signals the child's whole process group. Lab children are spawned `detached` (their own group),
 * so this also reaches whatever they forked, e.g. the node process behind `npx`.
 */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERMs the child's group, SIGKILLs it after `graceMs`, and resolves once the child has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.pid === undefined || hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGTERM');
  const escalate = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(escalate);
}
