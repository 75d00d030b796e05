import { readFileSync } from 'node:fs';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';

/**
 * The Slack signing secret: SYNACK_SLACK_SIGNING_SECRET (already in the config), else the file
 * named by `slack.signing_secret_file`, else `null` (the command is off). An unreadable or empty
 * file is a config error; the message names the file, never its content.
 */
export function readSlackSecret(config: SynackConfig): string | null {
  if (config.slack.signingSecret) return config.slack.signingSecret.reveal();
  const file = config.slack.signingSecretFile;
  if (file === null) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new SynackError(
      ErrorCode.configInvalid,
      `slack.signing_secret_file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    );
  }
  if (text.length === 0) throw new SynackError(ErrorCode.configInvalid, `slack.signing_secret_file: ${file} is empty`);
  return text;
}
