import { cliApiToken, loadConfig } from '@synack/shared/config/load-config';
import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import type { CliServices } from './cli-services.ts';
import { collectorUrl } from './listen-address.ts';

/** The collector API base from `--collector URL`, else the config's `collector.listen`. */
export async function collectorBase(
  flags: { config?: string; collector?: string },
  services: CliServices,
): Promise<string> {
  if (flags.collector) return flags.collector.replace(/\/+$/, '');
  if (!flags.config) throw services.usageError('give --collector URL or --config FILE');
  return collectorUrl((await loadConfig(flags.config)).collector.listen);
}

/**
 * GETs `path` from the collector, with the API token (SYNACK_API_TOKEN unless one is given). An
 * unreachable collector or an error status is a `SynackError` with the collector's own message
 * when it gave one.
 */
export async function getFromCollector(baseUrl: string, path: string, token = cliApiToken()): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      signal: AbortSignal.timeout(30_000),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  } catch (cause) {
    throw new SynackError(
      ErrorCode.socketFailed,
      `cannot reach the collector at ${baseUrl}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (!response.ok) {
    const text = await response.text();
    if (response.status === 401) {
      throw new SynackError(
        ErrorCode.socketFailed,
        `collector at ${baseUrl} wants an API token with the read scope: set SYNACK_API_TOKEN (synack token create)`,
      );
    }
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // Not the API's JSON error: keep the text.
    }
    throw new SynackError(
      ErrorCode.socketFailed,
      `collector at ${baseUrl} answered ${response.status} for ${path}: ${message}`,
    );
  }
  return response;
}
