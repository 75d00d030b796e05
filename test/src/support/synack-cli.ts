import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

/** Runs the synack CLI to its end (20 s at most): its exit code and output. */
export async function runSynack(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [node, ...rest] = synackArgv(...args) as [string, ...string[]];
  try {
    const { stdout, stderr } = await promisify(execFile)(node, rest, { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
