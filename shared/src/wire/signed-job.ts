import { type KeyObject, sign, verify } from 'node:crypto';
import { type PublicKeyEntry, publicEntryOf, publicKeyOf } from '../signing-key.ts';
import type { ProbeJob } from './probe-job.ts';

/**
 * What goes on a probe queue: the job's JSON text exactly as signed, the id of the key that
 * signed it, and the base64 Ed25519 signature over `JOB_SIGNATURE_DOMAIN + signed`. The text is
 * signed as it is, so no canonical JSON is needed; runners parse it only once it verifies.
 */
export type SignedJob = { signed: string; kid: string; sig: string };

/** Prefixed to what is signed, so a job signature can never pass for another synack signature. */
export const JOB_SIGNATURE_DOMAIN = 'synack-job-v1\n';
/** On-demand jobs older than this are refused (a replay). */
export const ON_DEMAND_MAX_AGE_MS = 600_000;
/** On-demand jobs dated further ahead than this are refused (clock skew allowance). */
export const ON_DEMAND_MAX_AHEAD_MS = 60_000;
// 10,000 targets of a few hundred bytes each; anything longer is not a job a signer made.
const MAX_SIGNED_CHARS = 8 * 1024 * 1024;

/** Signs probe jobs with the scheduler's or collector's private key. Holds the key; never shows it. */
export type JobSigner = {
  /** The id of the signing key (runners look the public key up by it). */
  readonly kid: string;
  /** `ed25519:…`: the public half, for configs and for `synack up`. */
  readonly publicKey: PublicKeyEntry;
  sign(job: ProbeJob): SignedJob;
};

/** Why a runner refused a job. Stable: logged and counted. */
export const JobRefusal = {
  /** Not an envelope at all: a bare job, as written into Redis by hand. */
  unsigned: 'unsigned',
  /** An envelope with missing or ill-typed fields, or a signed text that is not JSON. */
  malformed: 'malformed',
  /** Signed with a key this runner does not know. */
  unknownKey: 'unknown_key',
  badSignature: 'bad_signature',
  /** An on-demand job issued more than 10 minutes ago, or without a time. */
  stale: 'stale',
  /** An on-demand job dated more than a minute ahead. */
  future: 'future',
} as const;
export type JobRefusal = (typeof JobRefusal)[keyof typeof JobRefusal];

export type VerifiedJob = { ok: true; kid: string; job: unknown } | { ok: false; reason: JobRefusal };

/** Checks envelopes against the configured public keys. */
export type JobVerifier = {
  /** The ids of the keys it accepts; empty: it accepts nothing. */
  readonly keyIds: readonly string[];
  /** Never throws. `job` is the parsed JSON, still to be checked against `probeJobSchema`. */
  verify(data: unknown, nowMs: number): VerifiedJob;
};

/** A signer over `privateKey` (Ed25519). Deterministic: the same job gives the same envelope. */
export function createJobSigner(privateKey: KeyObject): JobSigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw new TypeError('a job signer needs an Ed25519 private key');
  const publicKey = publicEntryOf(privateKey);
  return {
    kid: publicKey.kid,
    publicKey,
    sign(job) {
      const signed = JSON.stringify(job);
      const sig = sign(null, Buffer.from(JOB_SIGNATURE_DOMAIN + signed), privateKey).toString('base64');
      return { signed, kid: publicKey.kid, sig };
    },
  };
}

const KID = /^[0-9a-f]{16}$/;
// 64 bytes: 86 base64 characters and "==".
const SIG = /^[A-Za-z0-9+/]{86}==$/;

/** A verifier accepting jobs signed by any of `publicKeys` (several during a key rotation). */
export function createJobVerifier(publicKeys: readonly PublicKeyEntry[]): JobVerifier {
  const keys = new Map(publicKeys.map((entry) => [entry.kid, publicKeyOf(entry)]));
  return {
    keyIds: [...keys.keys()],
    verify(data, nowMs) {
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return refuse(JobRefusal.malformed);
      const envelope = data as Record<string, unknown>;
      if (!('sig' in envelope) && !('signed' in envelope)) return refuse(JobRefusal.unsigned);
      const { signed, kid, sig } = envelope;
      if (
        typeof signed !== 'string' ||
        signed.length > MAX_SIGNED_CHARS ||
        typeof kid !== 'string' ||
        !KID.test(kid) ||
        typeof sig !== 'string' ||
        !SIG.test(sig)
      )
        return refuse(JobRefusal.malformed);
      const key = keys.get(kid);
      if (!key) return refuse(JobRefusal.unknownKey);
      let good = false;
      try {
        good = verify(null, Buffer.from(JOB_SIGNATURE_DOMAIN + signed), key, Buffer.from(sig, 'base64'));
      } catch {
        good = false;
      }
      if (!good) return refuse(JobRefusal.badSignature);
      let job: unknown;
      try {
        job = JSON.parse(signed);
      } catch {
        return refuse(JobRefusal.malformed);
      }
      // Scheduled jobs are Job Scheduler templates, repeated forever: they carry no time. An
      // on-demand job is one-off, so a copy of it must stop working soon.
      if (typeof job === 'object' && job !== null && (job as { origin?: unknown }).origin === 'on_demand') {
        const issuedAtMs = (job as { issuedAtMs?: unknown }).issuedAtMs;
        if (typeof issuedAtMs !== 'number' || !Number.isFinite(issuedAtMs)) return refuse(JobRefusal.stale);
        if (nowMs - issuedAtMs > ON_DEMAND_MAX_AGE_MS) return refuse(JobRefusal.stale);
        if (issuedAtMs - nowMs > ON_DEMAND_MAX_AHEAD_MS) return refuse(JobRefusal.future);
      }
      return { ok: true, kid, job };
    },
  };
}

const refuse = (reason: JobRefusal): VerifiedJob => ({ ok: false, reason });
