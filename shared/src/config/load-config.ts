import { readFile } from 'node:fs/promises';
import { ErrorCode, SynackError } from '../synack-error.ts';
import { type AgentFileConfig, parseAgentConfig } from './agent-config.ts';
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

/**
 * Reads an agent config, and its token: SYNACK_AGENT_TOKEN when set, else `token_file`. Throws
 * `SYNACK_ERR_CONFIG_INVALID` with every issue; never puts the token in a message.
 */
export async function loadAgentConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<AgentFileConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot read it';
    throw new SynackError(ErrorCode.configInvalid, `agent config ${file}: ${why}`, { cause: error });
  }
  const result = parseAgentConfig(text, file);
  if (!result.ok) {
    const lines = result.issues.map(formatConfigIssue);
    throw new SynackError(ErrorCode.configInvalid, `agent config ${file} is not valid:\n${lines.join('\n')}`);
  }
  const { tokenFile, ...config } = result.config;
  let token = env.SYNACK_AGENT_TOKEN?.trim() ?? '';
  if (!token && tokenFile) {
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new SynackError(ErrorCode.configInvalid, `agent config ${file}: cannot read token_file ${tokenFile}`, {
        cause: error,
      });
    }
  }
  if (token.length < 16) {
    throw new SynackError(
      ErrorCode.configInvalid,
      `agent config ${file}: no token of at least 16 characters (set SYNACK_AGENT_TOKEN or agent.token_file)`,
    );
  }
  return { ...config, token };
}

/**
 * The API token the CLI sends to the collector (`synack status`, `synack slo`…):
 * SYNACK_API_TOKEN, or none when unset (a collector without tokens keeps its read routes open).
 */
export function cliApiToken(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const token = env.SYNACK_API_TOKEN?.trim();
  return token ? token : undefined;
}
