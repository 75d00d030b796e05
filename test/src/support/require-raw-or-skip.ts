import { detectCapNetRaw } from '@synack/runners/syn/raw-capability';
import { isCi } from '../lab/lab-availability.ts';

/**
 * For `describe.skipIf(requireRawOrSkip())` around tests that open raw sockets: skips with the
 * reason on a developer machine without CAP_NET_RAW, and throws in CI, where skipping would hide
 * a broken runner.
 */
export function requireRawOrSkip(hasRaw = detectCapNetRaw(), env: NodeJS.ProcessEnv = process.env): boolean {
  if (hasRaw) return false;
  const why = 'raw SYN tests need CAP_NET_RAW (run as root)';
  if (isCi(env)) throw new Error(`${why}; they must not skip in CI`);
  console.warn(`skipping: ${why}`);
  return true;
}
