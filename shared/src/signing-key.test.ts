import { describe, expect, it } from 'vitest';
import { generateSigningKey, keyIdOf, parsePublicKey, privateKeyFromPem, publicEntryOf } from './signing-key.ts';

describe('signing keys', () => {
  it('round-trips a generated key through its config text, PEM and key id', () => {
    const pair = generateSigningKey();
    expect(pair.publicKey.key).toMatch(/^ed25519:[A-Za-z0-9+/]{43}=$/);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const parsed = parsePublicKey(pair.publicKey.key);
    expect(parsed).toEqual({ ok: true, entry: pair.publicKey });
    const fromPem = privateKeyFromPem(pair.privateKeyPem, 'the key');
    expect(fromPem.ok && publicEntryOf(fromPem.key)).toEqual(pair.publicKey);
    const raw = Buffer.from(pair.publicKey.key.slice('ed25519:'.length), 'base64');
    expect(keyIdOf(raw)).toBe(pair.publicKey.kid);
  });

  it('describes a bad public key without echoing it', () => {
    const pem = generateSigningKey().privateKeyPem;
    for (const bad of ['ed25519:short', 'rsa:AAAA', pem, 42, ['ed25519:x']]) {
      const parsed = parsePublicKey(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok && typeof bad === 'string') expect(parsed.message).not.toContain(bad);
    }
    const parsed = parsePublicKey(pem);
    expect(!parsed.ok && parsed.message).toMatch(/looks like a private key/);
  });

  it('refuses a PEM that is not an Ed25519 private key, without quoting it', () => {
    const secretish = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHSECRETSECRET\n-----END PRIVATE KEY-----\n';
    const result = privateKeyFromPem(secretish, 'SYNACK_SIGNING_KEY');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toBe(
      'SYNACK_SIGNING_KEY is not a PKCS#8 PEM private key (make one with synack keygen)',
    );
  });
});
