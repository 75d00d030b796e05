import { readFileSync } from 'node:fs';
import { effectiveCapabilities } from '@synack/runners/syn/raw-capability';
import { findExecutable } from './find-executable.ts';

/** Whether this machine can build a netns lab, and if not, why. */
export type LabAvailability = { ok: true } | { ok: false; why: string };

// `ip netns add` needs CAP_SYS_ADMIN (unshare, mount); links, addresses and nft need CAP_NET_ADMIN.
// Root in an unprivileged container has uid 0 but neither, so the uid alone would say yes wrongly.
const CAPABILITIES = { CAP_NET_ADMIN: 12n, CAP_SYS_ADMIN: 21n } as const;

const TOOLS = [
  { tool: 'ip', pkg: 'iproute2' },
  { tool: 'nft', pkg: 'nftables' },
] as const;

function missingCapabilities(): string[] {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return []; // Cannot tell; let createLab() report the real error.
  }
  const effective = effectiveCapabilities(status);
  if (effective === undefined) return [];
  return Object.entries(CAPABILITIES)
    .filter(([, bit]) => (effective & (1n << bit)) === 0n)
    .map(([name]) => name);
}

/**
 * Checks that the lab can be built: Linux, running as root with CAP_SYS_ADMIN and CAP_NET_ADMIN,
 * and `ip` (iproute2) and `nft` (nftables) executable.
 */
export function labAvailability(): LabAvailability {
  if (process.platform !== 'linux') return { ok: false, why: `network namespaces need Linux, not ${process.platform}` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, why: `needs root (running as uid ${uid}); run the integration tests with sudo` };
  for (const { tool, pkg } of TOOLS) {
    if (findExecutable(tool) === undefined) {
      return { ok: false, why: `"${tool}" not found on PATH or in sbin (apt-get install ${pkg})` };
    }
  }
  const missing = missingCapabilities();
  if (missing.length > 0) {
    return { ok: false, why: `root lacks ${missing.join(' and ')} (unprivileged container? run it --privileged)` };
  }
  return { ok: true };
}

/** True when the environment says it is CI: `CI` set to anything but "", "0" or "false". */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/**
 * Decides whether a lab test suite runs, for `describe.skipIf(requireLabOrSkip())`:
 *
 * - lab available: returns false (run the tests);
 * - unavailable on a developer machine: prints why and returns true (skip);
 * - unavailable in CI (see {@link isCi}): throws, failing the test file. A CI runner that cannot
 *   build the lab is broken, and a silently skipped suite would hide that.
 */
export function requireLabOrSkip(
  availability: LabAvailability = labAvailability(),
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (availability.ok) return false;
  if (isCi(env)) {
    throw new Error(`netns lab unavailable in CI (CI=${env.CI}): ${availability.why}. Lab tests must not skip in CI.`);
  }
  console.warn(`skipping netns lab tests: ${availability.why}`);
  return true;
}
