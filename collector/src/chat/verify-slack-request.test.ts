import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackRequest } from './verify-slack-request.ts';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const body = 'token=x&team_id=T1&user_id=U1&command=%2Fsynack&text=probe+web';
const nowMs = 1_700_000_000_000;
const ts = String(nowMs / 1000);

describe('verifySlackRequest', () => {
  it('accepts a request signed with the secret', () => {
    const signature = signSlackRequest(secret, ts, body);
    expect(signature).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(verifySlackRequest({ secret, timestamp: ts, signature, rawBody: body, nowMs })).toEqual({ ok: true });
  });

  it('matches Slack’s documented example', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const rawBody =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(
      verifySlackRequest({
        secret: '8f742231b10e8888abcd99yyyzzz85a5',
        timestamp: '1531420618',
        signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
        rawBody,
        nowMs: 1531420618_000,
      }),
    ).toEqual({ ok: true });
  });

  it('refuses a forged, altered or wrongly keyed request', () => {
    const signature = signSlackRequest(secret, ts, body);
    const check = (over: Partial<Parameters<typeof verifySlackRequest>[0]>) =>
      verifySlackRequest({ secret, timestamp: ts, signature, rawBody: body, nowMs, ...over });
    expect(check({ rawBody: `${body}x` })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check({ secret: `${secret}x` })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check({ timestamp: String(Number(ts) + 1) })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check({ signature: `v0=${'0'.repeat(64)}` })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses timestamps more than 5 minutes off, either way, and accepts the edges', () => {
    const at = (skewS: number) => {
      const t = String(Number(ts) + skewS);
      return verifySlackRequest({
        secret,
        timestamp: t,
        signature: signSlackRequest(secret, t, body),
        rawBody: body,
        nowMs,
      });
    };
    expect(at(-300)).toEqual({ ok: true });
    expect(at(300)).toEqual({ ok: true });
    expect(at(-301)).toEqual({ ok: false, reason: 'stale' });
    expect(at(301)).toEqual({ ok: false, reason: 'future' });
  });

  it('refuses missing and malformed headers without throwing', () => {
    const signature = signSlackRequest(secret, ts, body);
    const base = { secret, rawBody: body, nowMs };
    expect(verifySlackRequest({ ...base, timestamp: undefined, signature })).toEqual({
      ok: false,
      reason: 'missing_headers',
    });
    expect(verifySlackRequest({ ...base, timestamp: ts, signature: undefined })).toEqual({
      ok: false,
      reason: 'missing_headers',
    });
    for (const [timestamp, sig] of [
      ['12.5', signature],
      ['-1', signature],
      [ts, signature.replace('v0=', 'v1=')],
      [ts, `${signature}00`],
      [ts, signature.toUpperCase()],
      ['1e9', signature],
    ] as const) {
      expect(verifySlackRequest({ ...base, timestamp, signature: sig })).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});
