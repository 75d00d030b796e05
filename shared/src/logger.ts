import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * The services' logger: JSON lines on stderr (stdout belongs to command output), with secrets
 * redacted wherever they might sit in a logged object.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino(
    {
      name: service,
      level,
      redact: {
        paths: [
          'password',
          '*.password',
          'redisUrl',
          '*.redisUrl',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'authorization',
          'privateKey',
          '*.privateKey',
        ],
        censor: '***',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
