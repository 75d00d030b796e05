import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAllowedResponseUrl, postToResponseUrl } from './response-url.ts';

describe('isAllowedResponseUrl', () => {
  it("allows https on Slack's hosts only, unless a host is configured", () => {
    expect(isAllowedResponseUrl('https://hooks.slack.com/commands/T1/1/abc', [])).toBe(true);
    expect(isAllowedResponseUrl('https://hooks.slack-gov.com/commands/T1/1/abc', [])).toBe(true);
    for (const url of [
      'http://hooks.slack.com/commands/x',
      'https://hooks.slack.com.evil.example/x',
      'https://evil.example/?hooks.slack.com',
      'https://user:pw@hooks.slack.com/x',
      'https://hooks.slack.com:8443/x',
      'http://127.0.0.1:8080/x',
      'http://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
      'not a url',
      '',
    ]) {
      expect(isAllowedResponseUrl(url, []), url).toBe(false);
    }
    expect(isAllowedResponseUrl('http://127.0.0.1:8080/x', ['127.0.0.1:8080'])).toBe(true);
    expect(isAllowedResponseUrl('http://127.0.0.1:8081/x', ['127.0.0.1:8080'])).toBe(false);
  });
});

describe('postToResponseUrl', () => {
  const hits: { status: number; body: string }[] = [];
  let statuses: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      hits.push({ status, body });
      if (status === 302) res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      else res.writeHead(status).end();
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/r`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts JSON and retries a 5xx', async () => {
    hits.length = 0;
    statuses = [503, 200];
    expect(await postToResponseUrl(url, { text: 'hi' })).toEqual({ ok: true, status: 200 });
    expect(hits.map((h) => h.status)).toEqual([503, 200]);
    expect(JSON.parse(hits[1]?.body ?? '')).toEqual({ text: 'hi' });
  });

  it('does not follow a redirect', async () => {
    hits.length = 0;
    statuses = [302];
    const result = await postToResponseUrl(url, { text: 'hi' });
    expect(result.ok).toBe(false);
    expect(hits).toHaveLength(1);
  });
});
