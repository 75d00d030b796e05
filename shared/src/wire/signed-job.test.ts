import { sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../signing-key.ts';
import type { ProbeJob } from './probe-job.ts';
import { createJobSigner, createJobVerifier, JOB_SIGNATURE_DOMAIN, type SignedJob } from './signed-job.ts';

const NOW = 1_763_900_000_000;
const scheduled: ProbeJob = {
  v: 1,
  origin: 'scheduled',
  targets: [
    { name: 'web', address: '10.0.0.5', port: 443, probes: ['syn'], families: ['v4'], timeoutMs: 3000, atMs: 300 },
  ],
};
const onDemand = (issuedAtMs?: number): ProbeJob => ({
  ...scheduled,
  origin: 'on_demand',
  requestId: 'r-1',
  ...(issuedAtMs === undefined ? {} : { issuedAtMs }),
});

const a = generateSigningKey();
const b = generateSigningKey();
const signerA = createJobSigner(a.privateKey);
const signerB = createJobSigner(b.privateKey);

describe('signed jobs', () => {
  it('verifies a job signed with a configured key and gives back the job as signed', () => {
    const envelope = signerA.sign(scheduled);
    expect(envelope.kid).toBe(a.publicKey.kid);
    expect(envelope.kid).toMatch(/^[0-9a-f]{16}$/);
    expect(createJobVerifier([a.publicKey]).verify(envelope, NOW)).toEqual({
      ok: true,
      kid: a.publicKey.kid,
      job: scheduled,
    });
  });

  it('is deterministic, so a Job Scheduler template signed twice is the same template', () => {
    expect(signerA.sign(scheduled)).toEqual(signerA.sign(structuredClone(scheduled)));
  });

  it('refuses a tampered payload, a signature by another key, and a kid it does not know', () => {
    const verifier = createJobVerifier([a.publicKey]);
    const good = signerA.sign(scheduled);
    const tampered = { ...good, signed: good.signed.replace('10.0.0.5', '10.0.0.6') };
    expect(verifier.verify(tampered, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    // B's signature presented under A's kid.
    expect(verifier.verify({ ...signerB.sign(scheduled), kid: a.publicKey.kid }, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifier.verify(signerB.sign(scheduled), NOW)).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('signs the domain-separated text, not the bare job', () => {
    const envelope = signerA.sign(scheduled);
    expect(envelope.signed).toBe(JSON.stringify(scheduled));
    expect(JOB_SIGNATURE_DOMAIN).toBe('synack-job-v1\n');
  });

  it('accepts either key during a rotation, and only the new one after it', () => {
    const during = createJobVerifier([a.publicKey, b.publicKey]);
    expect(during.keyIds).toEqual([a.publicKey.kid, b.publicKey.kid]);
    expect(during.verify(signerA.sign(scheduled), NOW).ok).toBe(true);
    expect(during.verify(signerB.sign(scheduled), NOW).ok).toBe(true);
    const after = createJobVerifier([b.publicKey]);
    expect(after.verify(signerA.sign(scheduled), NOW)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(after.verify(signerB.sign(scheduled), NOW).ok).toBe(true);
  });

  it('refuses on-demand jobs that are stale, undated or from the future', () => {
    const verifier = createJobVerifier([a.publicKey]);
    const at = (issued?: number) => verifier.verify(signerA.sign(onDemand(issued)), NOW);
    expect(at(NOW).ok).toBe(true);
    expect(at(NOW - 600_000).ok).toBe(true);
    expect(at(NOW + 60_000).ok).toBe(true);
    expect(at(NOW - 600_001)).toEqual({ ok: false, reason: 'stale' });
    expect(at(undefined)).toEqual({ ok: false, reason: 'stale' });
    expect(at(NOW + 60_001)).toEqual({ ok: false, reason: 'future' });
    // Scheduled templates repeat forever: they carry no time and never go stale.
    expect(verifier.verify(signerA.sign(scheduled), NOW + 365 * 86_400_000).ok).toBe(true);
  });

  it('calls a bare job unsigned, and a half envelope malformed', () => {
    const verifier = createJobVerifier([a.publicKey]);
    const good = signerA.sign(scheduled);
    expect(verifier.verify(scheduled, NOW)).toEqual({ ok: false, reason: 'unsigned' });
    for (const bad of [
      null,
      'text',
      [good],
      { signed: good.signed },
      { ...good, sig: 'AAAA' },
      { ...good, kid: 'XYZ' },
      { ...good, sig: 42 },
      { ...good, signed: { v: 1 } },
    ])
      expect(verifier.verify(bad, NOW)).toEqual({ ok: false, reason: 'malformed' });
    // Well signed, but not JSON: only a holder of the private key could make it; still refused.
    const text = '{not json';
    const sig = sign(null, Buffer.from(JOB_SIGNATURE_DOMAIN + text), a.privateKey).toString('base64');
    expect(verifier.verify({ signed: text, kid: a.publicKey.kid, sig }, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('never throws, whatever the envelope holds', () => {
    const verifier = createJobVerifier([a.publicKey]);
    const good = signerA.sign(scheduled);
    fc.assert(
      fc.property(
        fc.record(
          {
            signed: fc.oneof(fc.string(), fc.constant(good.signed)),
            kid: fc.oneof(fc.string(), fc.constant(good.kid)),
            sig: fc.oneof(fc.base64String(), fc.constant(good.sig)),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
        (envelope: Partial<SignedJob>, junk) => {
          expect(verifier.verify(envelope, NOW)).toHaveProperty('ok');
          expect(verifier.verify(junk, NOW)).toHaveProperty('ok');
        },
      ),
    );
  });

  it('accepts nothing with no keys', () => {
    const none = createJobVerifier([]);
    expect(none.keyIds).toEqual([]);
    expect(none.verify(signerA.sign(scheduled), NOW)).toEqual({ ok: false, reason: 'unknown_key' });
  });
});
