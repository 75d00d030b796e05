import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { synackArgv } from './synack-cli.ts';

/** A synack service started as its own process, as an operator would run it. */
export type ServiceProcess = {
  child: ChildProcess;
  /** Everything it wrote, for assertions and for debugging a failure. */
  output: () => string;
  /** Sends `signal` and resolves with the exit code (or the signal) once it has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<number | string>;
};

export function startService(args: string[], logFile?: string, env?: Record<string, string>): ServiceProcess {
  const [node, ...rest] = synackArgv(...args);
  const child = spawn(node as string, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  let output = '';
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
      log?.write(chunk);
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      log?.end();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
