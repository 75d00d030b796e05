import { fileURLToPath } from 'node:url';
import type { AttemptRecord } from '@synack/shared/attempt-record';

/** argv that runs the synack CLI on this Node, for `lab.exec()` or `execFile`. */
export function synackArgv(...args: string[]): string[] {
  const main = fileURLToPath(new URL('../../../cli/src/main.ts', import.meta.url));
  return [process.execPath, '--disable-warning=ExperimentalWarning', main, ...args];
}

/** Parses `--json` output (NDJSON), failing loudly on any line that is not a record. */
export function parseRecords(stdout: string): AttemptRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as AttemptRecord;
      } catch {
        throw new Error(`synack --json printed a line that is not JSON: ${line}`);
      }
    });
}

/** The one record of a kind in a probe's output; fails if there is not exactly one. */
export function only(records: readonly AttemptRecord[], kind: AttemptRecord['kind']): AttemptRecord {
  const found = records.filter((r) => r.kind === kind);
  if (found.length !== 1)
    throw new Error(`expected one ${kind} record, got ${found.length}: ${JSON.stringify(records)}`);
  return found[0] as AttemptRecord;
}
