/** Where Slack's `response_url`s point: commercial and GovSlack. */
export const SLACK_RESPONSE_HOSTS = ['hooks.slack.com', 'hooks.slack-gov.com'];

/**
 * True when a `response_url` may be posted to: https on one of Slack's hosts, or (for a test's
 * or a proxy's server) a host listed in `slack.response_url_hosts`, where http is also allowed.
 * Anything else would let a forged command make the collector send requests where it is told.
 */
export function isAllowedResponseUrl(text: string, extraHosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:' && SLACK_RESPONSE_HOSTS.includes(url.host)) return true;
  return (url.protocol === 'https:' || url.protocol === 'http:') && extraHosts.includes(url.host);
}

/**
 * Posts a message to a `response_url`: JSON, no redirect followed (a 3xx is a failure), 10 s per try, retried twice
 * on a network error or 5xx. Resolves whether it was delivered; never throws.
 */
export async function postToResponseUrl(
  url: string,
  message: unknown,
  fetchImpl: typeof fetch = fetch,
): Promise<{ ok: boolean; status: number | null; error?: string }> {
  let last: { ok: boolean; status: number | null; error?: string } = { ok: false, status: null };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        // Never followed: a redirect could point anywhere, and Slack does not send them.
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      last = { ok: response.ok, status: response.status };
      if (response.ok || response.status < 500) return last;
    } catch (error) {
      last = { ok: false, status: null, error: (error as Error).name };
    }
  }
  return last;
}
