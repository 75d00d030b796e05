import { readFile } from 'node:fs/promises';
import { ErrorCode, SynackError } from '../synack-error.ts';
import { formatConfigIssue, parseConfig } from './parse-config.ts';
import type { SynackConfig } from './synack-config.ts';

/**
 * Reads and validates the config file: the I/O edge of `parseConfig`, and the only module that
 * reads `process.env`. Throws `SYNACK_ERR_CONFIG_INVALID` when the file cannot be read, or with
 * every issue, one formatted line each, when it is not valid.
 */
export async function loadConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SynackConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot read it';
    throw new SynackError(ErrorCode.configInvalid, `config ${file}: ${why}`, { cause: error });
  }
  const result = parseConfig(text, file, env);
  if (result.ok) return result.config;
  const count = result.issues.length === 1 ? '1 problem' : `${result.issues.length} problems`;
  const lines = result.issues.map(formatConfigIssue);
  throw new SynackError(ErrorCode.configInvalid, `config ${file} is not valid (${count}):\n${lines.join('\n')}`);
}
