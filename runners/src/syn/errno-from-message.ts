import { constants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';

// raw-socket throws `new Error(strerror(errno))` with no code, so the message is the only trace of
// the errno. Build the reverse table once from the system's own messages instead of hard-coding.
let table: Map<string, string> | undefined;

// Where glibc's strerror() wording differs from libuv's.
const GLIBC_WORDING: Record<string, string> = {
  'no route to host': 'EHOSTUNREACH',
  'cannot assign requested address': 'EADDRNOTAVAIL',
  'address already in use': 'EADDRINUSE',
  'protocol not supported': 'EPROTONOSUPPORT',
};

function buildTable(): Map<string, string> {
  const map = new Map<string, string>(Object.entries(GLIBC_WORDING));
  for (const [name, value] of Object.entries(constants.errno)) {
    try {
      const message = getSystemErrorMessage(-value).toLowerCase();
      if (!map.has(message)) map.set(message, name);
    } catch {
      // Not every errno has a libuv message; those never come from a send or receive.
    }
  }
  return map;
}

/** The errno name (`ENETUNREACH`...) behind a strerror() text, or `undefined`. */
export function errnoFromMessage(message: string): string | undefined {
  table ??= buildTable();
  return table.get(message.trim().toLowerCase());
}
