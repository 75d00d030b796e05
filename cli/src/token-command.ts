import { createHash, randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type { CliServices } from './cli-services.ts';

const SCOPES = ['read', 'probe', 'admin'] as const;

/** A new API token: `snk_` and 32 random bytes, base64url (43 characters). */
export function newApiToken(): { token: string; sha256: string } {
  const token = `snk_${randomBytes(32).toString('base64url')}`;
  return { token, sha256: createHash('sha256').update(token).digest('hex') };
}

function scopesOption(text: string): string[] {
  const scopes = [...new Set(text.split(',').map((s) => s.trim()))];
  const bad = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad !== undefined || scopes.length === 0)
    throw new InvalidArgumentError(`expected read, probe and/or admin, got "${bad ?? ''}"`);
  return scopes;
}

function nameOption(text: string): string {
  if (!/^[a-z0-9-]{1,63}$/.test(text)) throw new InvalidArgumentError('expected 1..63 characters of a-z, 0-9 and "-"');
  return text;
}

/**
 * `synack token create --name N --scopes read,probe`: makes an API token and prints it once,
 * with the entry for `api.tokens` (or SYNACK_API_TOKENS) that holds only its SHA-256.
 */
export function tokenCommand(services: CliServices): Command {
  const command = new Command('token').description('API tokens for the collector');
  command
    .command('create')
    .description('make a new API token; prints the token once and the config entry that holds its SHA-256')
    .requiredOption('--name <name>', 'what the token is for (shown in the audit log)', nameOption)
    .option('--scopes <list>', 'read, probe and/or admin, comma-separated', scopesOption, ['read'])
    .action((flags: { name: string; scopes: string[] }) => {
      const { token, sha256 } = newApiToken();
      services.out(`token (shown once; give it as "Authorization: Bearer …" or SYNACK_API_TOKEN):\n  ${token}`);
      services.out(
        `\nadd to api.tokens in the config:\n  - { name: ${flags.name}, sha256: ${sha256}, scopes: [${flags.scopes.join(', ')}] }`,
      );
      services.out(`\nor to SYNACK_API_TOKENS:\n  ${flags.name}:${flags.scopes.join('+')}:${sha256}`);
    });
  return command;
}
