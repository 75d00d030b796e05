import { writeFile } from 'node:fs/promises';
import { generateSigningKey } from '@synack/shared/signing-key';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import { Command } from 'commander';
import type { CliServices } from './cli-services.ts';

/**
 * `synack keygen [--out FILE]`: a new Ed25519 key pair. The private key (PKCS#8 PEM) goes to
 * FILE, created with mode 0600 and never over an existing file, or to stdout without `--out`;
 * the lines for the config (its public half) are printed, to stderr when the key is on stdout.
 */
export function keygenCommand(services: CliServices): Command {
  return new Command('keygen')
    .description('make an Ed25519 key pair: for signing probe jobs (signing:) or for a host agent (agents:)')
    .option('--out <file>', 'write the private key here (mode 0600; an existing file is never replaced)')
    .action(async (flags: { out?: string }) => {
      const pair = generateSigningKey();
      const lines: string[] = [];
      if (flags.out === undefined) services.out(pair.privateKeyPem.trimEnd());
      else {
        try {
          await writeFile(flags.out, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const why = code === 'EEXIST' ? 'it exists (keygen never replaces a key)' : `cannot write it (${code})`;
          throw new SynackError(ErrorCode.badOption, `--out ${flags.out}: ${why}`);
        }
        lines.push(`wrote an Ed25519 private key to ${flags.out} (key id ${pair.publicKey.kid}); keep it secret`);
      }
      lines.push(
        'for signing probe jobs, under signing: in the config (runners accept what this key signs):',
        `  public_keys: ["${pair.publicKey.key}"]`,
        'for a host agent, in its entry under agents:',
        `  public_key: "${pair.publicKey.key}"`,
      );
      // One write: a reader that stops at the line it wants (`| grep -m1`) never cuts it short.
      (flags.out === undefined ? services.err : services.out)(lines.join('\n'));
    });
}
