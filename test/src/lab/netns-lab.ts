import { type ChildProcess, type SpawnOptions, spawn as spawnChild } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findExecutable } from './find-executable.ts';
import { LAB_ADDRESSES, type LabAddresses } from './lab-addresses.ts';
import { LabCommandError } from './lab-command-error.ts';
import { type LabNames, uniqueLabNames } from './lab-names.ts';
import { reapOnExit } from './lab-reaper.ts';
import { buildTopology } from './lab-topology.ts';
import { newlineBeforeClosingBraces } from './nft-ruleset.ts';
import { stopProcess } from './process-group.ts';
import { type CommandOptions, type CommandResult, runChecked, runCommand } from './run-command.ts';
import { waitForLine } from './wait-for-line.ts';

export type { LabAddresses } from './lab-addresses.ts';
export type { LabNames } from './lab-names.ts';
export type { CommandOptions, CommandResult } from './run-command.ts';

/** A namespace of the lab. */
export type LabHost = 'client' | 'router' | 'server';

/** An address family, as the lab's addresses name them. */
export type LabFamily = 'v4' | 'v6';

/** Options for {@link createLab}. */
export interface LabOptions {
  /**
   * Keep the kernel's ICMP error rate limits on router and server. Default false: they are
   * disabled, so every probe that should draw an ICMP error gets one and tests are deterministic.
   */
  icmpRateLimit?: boolean;
}

/** Options for {@link Lab.listen}. */
export interface ListenOptions {
  /** Which sockets to open; default both, as separate IPv4 and IPv6-only sockets. */
  families?: LabFamily[];
  /** listen(2) backlog; default 511, Node's default. */
  backlog?: number;
  /** How long to wait for the listener to be ready; default 10 s. */
  timeoutMs?: number;
}

/** A running TCP listener in the server namespace. */
export interface LabListener {
  readonly port: number;
  /** Stops the listener and resolves once it has exited. */
  close(): Promise<void>;
}

/** Options for {@link Lab.spawn}: passed to `child_process.spawn`, except `detached`, which the lab owns. */
export type LabSpawnOptions = Pick<SpawnOptions, 'stdio' | 'env' | 'cwd'>;

/** A built client -- router -- server lab. Every command runs as `ip netns exec <namespace> ...`, never via a shell. */
export interface Lab {
  readonly names: Readonly<LabNames>;
  readonly addresses: LabAddresses;
  /** Runs argv in `host`'s namespace; resolves on any exit status, rejects if it cannot start or times out. */
  exec(host: LabHost, argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** Like {@link Lab.exec}, but a non-zero exit rejects with the command and its stderr. */
  run(host: LabHost, argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /**
   * Starts a long-running process in `host`'s namespace (stdio piped unless `options.stdio` says
   * otherwise: read its output, or it blocks once a pipe is full). `destroy()` stops it.
   */
  spawn(host: LabHost, argv: readonly string[], options?: LabSpawnOptions): ChildProcess;
  /** Starts a TCP listener on `port` in the server namespace that accepts and closes at once; resolves when it listens. */
  listen(port: number, options?: ListenOptions): Promise<LabListener>;
  /**
   * Loads an nftables ruleset (`nft -f -`, ruleset on stdin) in `host`'s namespace. One-line
   * rulesets work with every nft version: see {@link newlineBeforeClosingBraces}.
   */
  nft(host: LabHost, ruleset: string): Promise<void>;
  /** Stops everything spawned and deletes the namespaces (and with them the veths). Idempotent. */
  destroy(): Promise<void>;
}

const LISTENER_SCRIPT = fileURLToPath(new URL('./tcp-listener.ts', import.meta.url));

function requireExecutable(name: string): string {
  const path = findExecutable(name);
  if (path === undefined) throw new Error(`netns lab: "${name}" not found; see labAvailability()`);
  return path;
}

async function deleteNamespaces(ip: string, names: LabNames): Promise<void> {
  const failures: Error[] = [];
  for (const ns of [names.client, names.router, names.server]) {
    const argv = [ip, 'netns', 'del', ns];
    const result = await runCommand(argv);
    // A namespace that was never created (failed build) or is already gone is what we want.
    if (result.code !== 0 && !result.stderr.includes('No such file')) {
      failures.push(new LabCommandError(argv, `command failed (exit code ${result.code})`, result.stderr));
    }
  }
  if (failures.length === 1 && failures[0] !== undefined) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'netns lab: could not delete namespaces');
}

/**
 * Builds a fresh lab with uniquely named namespaces:
 *
 *     client 192.0.2.2, 2001:db8:1::2 -- router (forwarding) -- server 203.0.113.10, 2001:db8:5::10
 *
 * Needs root with `ip` and `nft`; gate suites with `requireLabOrSkip()` from `lab-availability.ts`.
 * Always `destroy()` it (e.g. in `afterAll`); a process 'exit' handler deletes what a crashed test left.
 */
export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const ip = requireExecutable('ip');
  const nftPath = requireExecutable('nft');
  const names = uniqueLabNames();
  const leftovers = { ip, namespaces: [names.client, names.router, names.server], pids: new Set<number>() };
  const forget = reapOnExit(leftovers);
  try {
    await buildTopology(ip, names, { icmpRateLimit: options.icmpRateLimit ?? false });
  } catch (error) {
    await deleteNamespaces(ip, names).catch(() => {}); // The build error is the one worth reporting.
    forget();
    throw error;
  }

  const children = new Set<ChildProcess>();
  let destroying: Promise<void> | undefined;

  const inNamespace = (host: LabHost, argv: readonly string[]): string[] => {
    if (destroying !== undefined) throw new Error(`netns lab ${names[host]} is destroyed; cannot run ${argv[0]}`);
    return [ip, 'netns', 'exec', names[host], ...argv];
  };

  const lab: Lab = {
    names,
    addresses: LAB_ADDRESSES,
    exec: async (host, argv, commandOptions) => runCommand(inNamespace(host, argv), commandOptions),
    run: async (host, argv, commandOptions) => runChecked(inNamespace(host, argv), commandOptions),

    spawn(host, argv, spawnOptions = {}) {
      const [file, ...args] = inNamespace(host, argv);
      if (file === undefined) throw new Error('unreachable: argv starts with ip');
      // Own process group, so stopping it also stops what it forked (npx -> node, sh -> ...).
      const child = spawnChild(file, args, { stdio: 'pipe', ...spawnOptions, detached: true });
      children.add(child);
      const { pid } = child;
      if (pid !== undefined) leftovers.pids.add(pid);
      child.once('exit', () => {
        children.delete(child);
        if (pid !== undefined) leftovers.pids.delete(pid);
      });
      return child;
    },

    async listen(port, listenOptions = {}) {
      const families = listenOptions.families ?? ['v4', 'v6'];
      const argv = [process.execPath, LISTENER_SCRIPT, '--port', String(port), '--families', families.join(',')];
      if (listenOptions.backlog !== undefined) argv.push('--backlog', String(listenOptions.backlog));
      const child = lab.spawn('server', argv);
      try {
        await waitForLine(child, 'listening', listenOptions.timeoutMs ?? 10_000, inNamespace('server', argv));
      } catch (error) {
        await stopProcess(child);
        throw error;
      }
      return { port, close: () => stopProcess(child) };
    },

    async nft(host, ruleset) {
      await lab.run(host, [nftPath, '-f', '-'], { input: newlineBeforeClosingBraces(ruleset) });
    },

    destroy() {
      destroying ??= (async () => {
        await Promise.all([...children].map((child) => stopProcess(child)));
        await deleteNamespaces(ip, names);
        forget();
      })();
      return destroying;
    },
  };
  return lab;
}
