import { spawn } from 'node:child_process';
import { LabCommandError } from './lab-command-error.ts';
import { signalGroup } from './process-group.ts';

/** How a command ended. `code` is null when a signal ended it (then `signal` says which). */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `input` is written to stdin (which is always closed, so nothing waits on it); `timeoutMs` defaults to 20 s. */
export interface CommandOptions {
  input?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

/**
 * Runs argv without a shell and collects its output. Resolves on any exit status; rejects with a
 * {@link LabCommandError} only when the command cannot start or outlives its timeout (it is then
 * killed, with everything it forked).
 */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new LabCommandError(argv, 'empty command', ''));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout can kill the whole tree, not just `ip netns exec`'s target.
    const child = spawn(file, args, { stdio: 'pipe', detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new LabCommandError(argv, `could not start (${error.message})`, stderr, { cause: error }));
    });
    // 'close', not 'exit': only then has all of stdout/stderr been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new LabCommandError(argv, `timed out after ${timeoutMs} ms`, stderr));
      else resolve({ code, signal, stdout, stderr });
    });
    // A command may exit without reading its input; the EPIPE that follows is not a failure.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Like {@link runCommand}, but a non-zero exit (or death by signal) rejects with a {@link LabCommandError}. */
export async function runChecked(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) {
    const how = result.signal === null ? `exit code ${result.code}` : `signal ${result.signal}`;
    throw new LabCommandError(argv, `command failed (${how})`, result.stderr);
  }
  return result;
}
