import type { AlertSinkConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import { type AlertTransition, alertKey, slackPayload, webhookPayload } from './alert-message.ts';

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;

/**
 * Posts alert transitions to every configured sink, a few times with backoff. A sink's URL is
 * read from its environment variable when sending, and never logged: Slack's carries its secret.
 * A failure is logged (sink kind and HTTP status only) and never thrown.
 */
export async function sendAlert(
  sinks: readonly AlertSinkConfig[],
  transition: AlertTransition,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  // All sinks at once: one after another, a slow sink would hold the others' alerts.
  await Promise.all(
    sinks.map(async (sink, index) => {
      const url = sink.url ?? (sink.urlEnv ? env[sink.urlEnv] : undefined);
      const where = { sink: index, kind: sink.kind, key: alertKey(transition.report.target, transition.alert) };
      if (!url) {
        failed++;
        logger.error({ ...where, env: sink.urlEnv }, 'alert not sent: the sink URL environment variable is empty');
        return;
      }
      const body = JSON.stringify(sink.kind === 'slack' ? slackPayload(transition) : webhookPayload(transition));
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'synack' },
            body,
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
          await response.arrayBuffer();
          if (response.ok) {
            sent++;
            return;
          }
          logger.warn({ ...where, status: response.status, attempt }, 'alert sink refused the alert');
          if (response.status < 500 && response.status !== 429) break;
        } catch (error) {
          logger.warn({ ...where, err: (error as Error).name, attempt }, 'alert sink unreachable');
        }
        if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
      failed++;
      logger.error(where, 'alert not delivered');
    }),
  );
  return { sent, failed };
}
