import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey } from '@synack/shared/signing-key';
import type { ProbeJob } from '@synack/shared/wire/probe-job';
import { createJobSigner, type JobSigner } from '@synack/shared/wire/signed-job';

/** The probe-job key pair of this test process: made once, in memory. */
export type TestSigning = {
  privateKeyPem: string;
  /** `ed25519:…`, as configured. */
  publicKey: string;
  kid: string;
  signer: JobSigner;
  /** The `signing:` section runners need; with `privateKeyFile` also what signers read. */
  yaml: (privateKeyFile?: string) => string;
  /** For services started as processes: the key through the environment. */
  env: { SYNACK_SIGNING_KEY: string };
  /** Writes the private key into `dir` (mode 0600) and returns its path. */
  writeKey: (dir: string) => Promise<string>;
};

let made: TestSigning | undefined;

export function testSigning(): TestSigning {
  if (made) return made;
  const pair = generateSigningKey();
  made = {
    privateKeyPem: pair.privateKeyPem,
    publicKey: pair.publicKey.key,
    kid: pair.publicKey.kid,
    signer: createJobSigner(pair.privateKey),
    yaml: (privateKeyFile) =>
      `signing:\n  public_keys: ["${pair.publicKey.key}"]\n${privateKeyFile ? `  private_key_file: ${privateKeyFile}\n` : ''}`,
    env: { SYNACK_SIGNING_KEY: pair.privateKeyPem },
    writeKey: async (dir) => {
      const file = join(dir, 'signing-key.pem');
      await writeFile(file, pair.privateKeyPem, { mode: 0o600 });
      return file;
    },
  };
  return made;
}

/** A job as a signer would put it on a queue. */
export function signedJob(job: ProbeJob, signer: JobSigner = testSigning().signer) {
  return signer.sign(job);
}

/** The job inside a Job Scheduler template's data (an envelope), for tests that read templates. */
export function templateJob(data: unknown): ProbeJob | undefined {
  const signed = (data as { signed?: unknown } | undefined)?.signed;
  return typeof signed === 'string' ? (JSON.parse(signed) as ProbeJob) : undefined;
}
