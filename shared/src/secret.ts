import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value (a signing secret, a token) that stays out of logs: JSON, `util.inspect`,
 * string conversion and pino all see `[redacted]`. Only `reveal()` gives the value, so each use
 * of the secret is a deliberate, greppable call.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    if (typeof value !== 'string' || value.length === 0) throw new TypeError('a secret must be a non-empty string');
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
