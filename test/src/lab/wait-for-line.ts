import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LabCommandError } from './lab-command-error.ts';

/**
 * Resolves when the child prints `line` (whole line, surrounding whitespace ignored) on stdout.
 * Rejects with a {@link LabCommandError} naming `argv` and carrying stderr if the child exits or
 * fails to start first, or if `timeoutMs` passes. Readiness is signalled, never guessed by sleeping.
 */
export function waitForLine(
  child: ChildProcess,
  line: string,
  timeoutMs: number,
  argv: readonly string[],
): Promise<void> {
  const { stdout, stderr } = child;
  if (stdout === null) return Promise.reject(new LabCommandError(argv, 'stdout is not piped', ''));
  return new Promise((resolve, reject) => {
    let errors = '';
    const onStderr = (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    };
    const lines = createInterface({ input: stdout });
    const onLine = (text: string) => {
      if (text.trim() === line) finish();
    };
    // 'close' rather than 'exit', so stderr has been read in full before we quote it.
    const onClose = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new LabCommandError(argv, `exited (${signal ?? `code ${code}`}) before printing "${line}"`, errors));
    const onError = (error: Error) => finish(new LabCommandError(argv, `could not start (${error.message})`, errors));
    const timer = setTimeout(
      () => finish(new LabCommandError(argv, `did not print "${line}" within ${timeoutMs} ms`, errors)),
      timeoutMs,
    );

    function finish(error?: Error): void {
      clearTimeout(timer);
      lines.off('line', onLine);
      lines.close();
      // Keep draining stdout so a chatty child never blocks on a full pipe.
      stdout?.resume();
      stderr?.off('data', onStderr);
      child.off('close', onClose);
      child.off('error', onError);
      if (error === undefined) resolve();
      else reject(error);
    }

    stderr?.on('data', onStderr);
    lines.on('line', onLine);
    child.once('close', onClose);
    child.once('error', onError);
  });
}
