import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';

/** Whether one source of the snapshot could be read, and why not (the contract's `sources` entry). */
export type SourceStatus = AgentSnapshot['sources'][number];

/**
 * What a snapshot source returns: its data (empty when it could not be read) and one status per
 * thing it read. Sources never throw: a failure is a status, so one missing tool never costs the
 * rest of the snapshot.
 */
export interface SourceReading<T> {
  value: T;
  sources: SourceStatus[];
}

const MAX_ERROR_CHARS = 500;

/** A failed status for `source`, with a short reason taken from `cause` (an Error, errno or text). */
export function failedSource(source: string, cause: unknown): SourceStatus {
  return { source, ok: false, error: describeCause(cause).slice(0, MAX_ERROR_CHARS) };
}

function describeCause(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    // Node's fs errors already start with their code ("EACCES: permission denied, open ...");
    // the addons' codes are bare errno numbers, which their messages already spell out.
    return code && /^E[A-Z]+$/.test(code) && !cause.message.startsWith(code)
      ? `${code}: ${cause.message}`
      : cause.message;
  }
  return String(cause);
}
