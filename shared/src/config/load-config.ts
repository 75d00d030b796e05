import { readFile } from 'node:fs/promises';
import { ErrorCode, SynackError } from '../synack-error.ts';
import { type AgentFileConfig, parseAgentConfig } from './agent-config.ts';
import { loadPrivateKey } from './load-private-key.ts';
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
 * Reads an agent config, and its private key: SYNACK_AGENT_KEY (PEM text) when set, else
 * `key_file`. Throws `SYNACK_ERR_CONFIG_INVALID` with every issue; never puts the key in a message.
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
  const { keyFile, ...config } = result.config;
  const key = await loadPrivateKey('SYNACK_AGENT_KEY', keyFile, env);
  if (key === null) {
    throw new SynackError(
      ErrorCode.configInvalid,
      `agent config ${file}: no private key (set agent.key_file or SYNACK_AGENT_KEY; make one with: synack keygen --out FILE)`,
    );
  }
  return { ...config, key };
}

/**
 * The API token the CLI sends to the collector (`synack status`, `synack slo`…):
 * SYNACK_API_TOKEN, or none when unset (a collector without tokens keeps its read routes open).
 */
export function cliApiToken(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const token = env.SYNACK_API_TOKEN?.trim();
  return token ? token : undefined;
}
