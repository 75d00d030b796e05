import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiScope, ApiTokenConfig } from '@synack/shared/config/synack-config';

/** What a route needs: a scope, or nothing (it authenticates its own way, or is public). */
export type RouteAccess = ApiScope | 'public';

/**
 * The token a bearer credential belongs to, or `null`. Only digests are held; every token is
 * compared, in constant time, so neither timing nor order tells which one almost matched.
 */
export function authenticateToken(
  tokens: readonly ApiTokenConfig[],
  authorization: string | undefined,
): ApiTokenConfig | null {
  // RFC 9110 11.1: the scheme is case-insensitive.
  const token = /^Bearer ([\x21-\x7e]{16,512})$/i.exec(authorization ?? '')?.[1];
  if (!token) return null;
  const digest = createHash('sha256').update(token).digest();
  let found: ApiTokenConfig | null = null;
  for (const candidate of tokens) {
    const expected = Buffer.from(candidate.sha256, 'hex');
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) found = candidate;
  }
  return found;
}

/** `admin` may do everything; `read` and `probe` only themselves (reading a probe's result takes either). */
export function grants(token: ApiTokenConfig, needed: ApiScope, alsoAccepted: readonly ApiScope[] = []): boolean {
  return (
    token.scopes.includes('admin') ||
    token.scopes.includes(needed) ||
    alsoAccepted.some((s) => token.scopes.includes(s))
  );
}

/**
 * The access a request needs, by method and path. The agent routes, the Slack command, the health
 * check, the OpenAPI document and the dashboard's static page authenticate their own way or are
 * public; reading a probe's report takes `read` or `probe`; starting one `probe`; the audit log `admin`.
 */
export function routeAccess(method: string, path: string): { scope: RouteAccess; alsoAccepted?: ApiScope[] } {
  if (
    path === '/healthz' ||
    path === '/openapi.json' ||
    path.startsWith('/v1/agent/') ||
    path.startsWith('/slack/') ||
    path === '/dashboard' ||
    path.startsWith('/dashboard/')
  )
    return { scope: 'public' };
  if (path === '/v1/probes' && method === 'POST') return { scope: 'probe' };
  if (path.startsWith('/v1/probes/')) return { scope: 'read', alsoAccepted: ['probe'] };
  if (path === '/v1/audit') return { scope: 'admin' };
  return { scope: 'read' };
}
