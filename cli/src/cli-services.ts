import { SourceResolver } from '@synack/runners/net/source-address';
import { detectCapNetRaw } from '@synack/runners/syn/raw-capability';
import { SynEngine } from '@synack/runners/syn/syn-engine';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';

/** What CLI commands get from `main.ts`: output, and engines created on first use. */
export type CliServices = {
  out: (line: string) => void;
  err: (line: string) => void;
  sources: SourceResolver;
  /** The raw-SYN engine, opened on first call (only commands that send SYNs open raw sockets). */
  synEngine: () => SynEngine;
  /** Whether this process may open raw sockets (CAP_NET_RAW). */
  rawAllowed: () => boolean;
  /** Aborted on the first Ctrl-C: stop starting attempts, finish the ones in flight. */
  interruptSignal: () => AbortSignal;
  usageError: (message: string) => SynackError;
  close: () => void;
};

/** Builds the real services: stdout/stderr, the kernel's route lookups, raw sockets, SIGINT. */
export function createCliServices(): CliServices {
  // `synack probe ... | head`: a closed pipe ends the output, quietly, like other CLI tools.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // 141 = 128 + SIGPIPE, what a shell reports for a tool cut off by `| head`.
      if (error.code === 'EPIPE') process.exit(141);
      throw error;
    });
  }
  const sources = new SourceResolver();
  let engine: SynEngine | undefined;
  let interrupt: AbortController | undefined;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    sources,
    synEngine: () => {
      engine ??= new SynEngine({ rawAllowed: detectCapNetRaw(), sources });
      return engine;
    },
    rawAllowed: detectCapNetRaw,
    interruptSignal: () => {
      if (!interrupt) {
        const controller = new AbortController();
        interrupt = controller;
        process.once('SIGINT', () => {
          controller.abort();
          // A second Ctrl-C leaves at once.
          process.once('SIGINT', () => process.exit(130));
        });
      }
      return interrupt.signal;
    },
    usageError: (message) => new SynackError(ErrorCode.badOption, message),
    close: () => engine?.close(),
  };
}
