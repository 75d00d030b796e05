import { execFile } from 'node:child_process';

/** How a tool ended. `code` is null when it was killed (its time ran out). */
export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ip` or `nft` in the caller's network namespace; rejects only when it cannot start. */
export type RunTool = (name: string, args: readonly string[]) => Promise<ToolResult>;

// ip and nft live in sbin, which service managers and sudo often leave off PATH even for root.
const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];
const TIMEOUT_MS = 5_000;
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * Runs a tool without a shell, killed after 5 s, with at most 32 MiB of output. Found on PATH or
 * else in the sbin directories. A non-zero exit resolves (its stderr is data: "RTNETLINK answers:
 * Network is unreachable"); only a tool that cannot start rejects (ENOENT when it is missing).
 */
export const runTool: RunTool = async (name, args) => {
  const candidates = [name, ...SBIN_DIRS.map((dir) => `${dir}/${name}`)];
  let missing: unknown;
  for (const file of candidates) {
    try {
      return await execTool(file, args);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause;
      missing ??= cause;
    }
  }
  throw missing;
};

function execTool(file: string, args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr });
      // execFile's error carries a numeric exit code once the tool ran, a string code otherwise.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') return resolve({ code, stdout, stderr });
      if (error.killed || code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return resolve({ code: null, stdout, stderr });
      reject(error);
    });
  });
}
