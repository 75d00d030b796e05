import type { Logger } from '@synack/shared/logger';

/**
 * Runs a long-lived service until SIGTERM or SIGINT, then stops it gracefully (a second signal
 * leaves at once). SIGHUP calls `reload` when given. Resolves with the exit code.
 */
export function runUntilSignalled(
  logger: Logger,
  stop: () => Promise<void>,
  reload?: () => Promise<void>,
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: leaving now');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'stopping gracefully');
      stop().then(
        () => resolve(0),
        (error: Error) => {
          logger.error({ err: error.message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    if (reload) {
      process.on('SIGHUP', () => {
        reload().catch((error: Error) => logger.error({ err: error.message }, 'reload failed'));
      });
    }
  });
}
