import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** How a public key is written in the config: `ed25519:` and the base64 of its 32 raw bytes. */
export const PUBLIC_KEY_PREFIX = 'ed25519:';

// RFC 8032 5.1.5: an Ed25519 public key is 32 bytes, so 43 base64 characters and one "=".
const PUBLIC_KEY_TEXT = /^ed25519:([A-Za-z0-9+/]{43}=)$/;

/** A verifying key: its config text and its key id. */
export type PublicKeyEntry = {
  /** First 8 bytes of the SHA-256 of the raw key, in hex: derived, never configured. */
  kid: string;
  /** `ed25519:<base64>`, canonical. */
  key: string;
};

/** The result of reading a public key's text. */
export type ParsedPublicKey = { ok: true; entry: PublicKeyEntry } | { ok: false; message: string };

/** A key's id: the first 8 bytes of the SHA-256 of its 32 raw bytes, as 16 hex digits. */
export function keyIdOf(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/**
 * Reads `ed25519:<base64 of 32 bytes>`. A bad value is described, never echoed: what was pasted
 * there by mistake may be a private key.
 */
export function parsePublicKey(text: unknown): ParsedPublicKey {
  const expected = 'expected an Ed25519 public key, "ed25519:" and 44 base64 characters (synack keygen prints it)';
  if (typeof text !== 'string')
    return {
      ok: false,
      message: `${expected}, got ${typeof text === 'object' ? (Array.isArray(text) ? 'a list' : 'a mapping') : 'a non-string'}`,
    };
  if (/PRIVATE KEY/.test(text))
    return { ok: false, message: `${expected}, got what looks like a private key: keep it out of this file` };
  const match = PUBLIC_KEY_TEXT.exec(text.trim());
  if (!match) return { ok: false, message: `${expected}, got a string of ${text.length} characters that is not one` };
  const raw = Buffer.from(match[1] as string, 'base64');
  try {
    publicKeyObject(raw);
  } catch {
    return { ok: false, message: `${expected}: these 32 bytes are not a valid Ed25519 point` };
  }
  return { ok: true, entry: { kid: keyIdOf(raw), key: `${PUBLIC_KEY_PREFIX}${raw.toString('base64')}` } };
}

/** The key object of a configured public key (`ed25519:…`); throws `TypeError` on a bad one. */
export function publicKeyOf(entry: PublicKeyEntry): KeyObject {
  const match = PUBLIC_KEY_TEXT.exec(entry.key);
  if (!match) throw new TypeError('not an ed25519: public key');
  return publicKeyObject(Buffer.from(match[1] as string, 'base64'));
}

/** A private key's public half, as configured (`ed25519:…`) with its key id. */
export function publicEntryOf(privateOrPublic: KeyObject): PublicKeyEntry {
  const jwk = createPublicKey(privateOrPublic).export({ format: 'jwk' });
  const raw = Buffer.from(String(jwk.x), 'base64url');
  return { kid: keyIdOf(raw), key: `${PUBLIC_KEY_PREFIX}${raw.toString('base64')}` };
}

/**
 * An Ed25519 private key from PKCS#8 PEM text, or a message that does not quote it (`what` names
 * where it came from: a variable or a file).
 */
export function privateKeyFromPem(
  pem: string,
  what: string,
): { ok: true; key: KeyObject } | { ok: false; message: string } {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return { ok: false, message: `${what} is not a PKCS#8 PEM private key (make one with synack keygen)` };
  }
  if (key.asymmetricKeyType !== 'ed25519')
    return {
      ok: false,
      message: `${what} holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; expected Ed25519 (synack keygen)`,
    };
  return { ok: true, key };
}

/** A new Ed25519 key pair: the private key as PKCS#8 PEM, and its public half as configured. */
export function generateSigningKey(): { privateKey: KeyObject; privateKeyPem: string; publicKey: PublicKeyEntry } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    privateKeyPem: String(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    publicKey: publicEntryOf(privateKey),
  };
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}
