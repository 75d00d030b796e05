import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// `ip` and `nft` live in sbin, which sudo, su and some CI shells leave off PATH even for root.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * Absolute path of an executable named `name`, searched on `pathVariable` and then the sbin
 * directories, or `undefined` when there is none.
 */
export function findExecutable(name: string, pathVariable = process.env.PATH ?? ''): string | undefined {
  const dirs = [...pathVariable.split(delimiter).filter((dir) => dir !== ''), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here (or not executable): try the next directory.
    }
  }
  return undefined;
}
