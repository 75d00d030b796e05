import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { privateKeyFromPem } from '../signing-key.ts';
import { ErrorCode, SynackError } from '../synack-error.ts';
import { createJobSigner, type JobSigner } from '../wire/signed-job.ts';
import type { SynackConfig } from './synack-config.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * An Ed25519 private key from the variable `envName` (PEM text) when it is set, else from `file`;
 * `null` when neither is. Throws `SYNACK_ERR_CONFIG_INVALID` for an unreadable file or a value
 * that is not an Ed25519 PKCS#8 PEM key; the message names where it looked, never the content.
 */
export async function loadPrivateKey(envName: string, file: string | null, env: Env): Promise<KeyObject | null> {
  const fromEnv = env[envName]?.trim();
  if (fromEnv) return keyOrThrow(fromEnv, envName);
  if (file === null) return null;
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot read it';
    // The cause is the errno error (its message names the path only).
    throw new SynackError(ErrorCode.configInvalid, `private key file ${file}: ${why}`, { cause: error });
  }
  return keyOrThrow(pem, `private key file ${file}`);
}

/**
 * The probe-job signer of a scheduler, a collector or `synack probe`: the key in
 * SYNACK_SIGNING_KEY, else in `signing.private_key_file`; `null` when neither is given.
 */
export async function loadJobSigner(config: SynackConfig, env: Env = process.env): Promise<JobSigner | null> {
  const key = await loadPrivateKey('SYNACK_SIGNING_KEY', config.signing.privateKeyFile, env);
  return key === null ? null : createJobSigner(key);
}

/**
 * `loadJobSigner` for a service that must sign (`who`: "the scheduler"…): without a key it throws
 * `SYNACK_ERR_CONFIG_INVALID` saying where one goes.
 */
export async function requireJobSigner(config: SynackConfig, who: string, env: Env = process.env): Promise<JobSigner> {
  const signer = await loadJobSigner(config, env);
  if (signer) return signer;
  throw new SynackError(
    ErrorCode.configInvalid,
    `${who} signs probe jobs and has no private key: set signing.private_key_file in ${config.file} or SYNACK_SIGNING_KEY (make a key pair with: synack keygen --out FILE)`,
  );
}

/** A warning when the runners of `config` would refuse what `signer` signs; `null` when they accept it. */
export function signerMismatch(config: SynackConfig, signer: JobSigner): string | null {
  const kids = config.signing.publicKeys.map((entry) => entry.kid);
  if (kids.includes(signer.kid)) return null;
  return `the signing key ${signer.kid} is not in signing.public_keys of ${config.file} (${kids.join(', ') || 'none'}): runners with this config refuse its jobs`;
}

function keyOrThrow(pem: string, what: string): KeyObject {
  const result = privateKeyFromPem(pem, what);
  if (result.ok) return result.key;
  throw new SynackError(ErrorCode.configInvalid, result.message);
}
