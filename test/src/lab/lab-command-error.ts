/** Renders argv the way a human would retype it, quoting only the arguments that need it. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

/**
 * A lab command that could not start, failed or timed out. The message names the command and
 * carries its stderr, so a failing test says what the kernel or tool objected to.
 */
export class LabCommandError extends Error {
  readonly argv: readonly string[];
  readonly stderr: string;

  constructor(argv: readonly string[], problem: string, stderr: string, options?: { cause?: unknown }) {
    const detail = stderr.trim() === '' ? ' (no stderr)' : `\nstderr: ${stderr.trim()}`;
    super(`${problem}: ${formatArgv(argv)}${detail}`, options);
    this.name = 'LabCommandError';
    this.argv = argv;
    this.stderr = stderr;
  }
}
