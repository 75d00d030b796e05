import { hostname } from 'node:os';
import type { DropTracer } from './drop-reasons.ts';
import { readFirewallCounters } from './firewall-counters.ts';
import { readListeners } from './listeners.ts';
import { readProcCounters } from './proc-counters.ts';
import { lookupRoutes } from './route-lookups.ts';
import { readSysctls } from './sysctls.ts';
import type { SnapshotDeps } from './take-snapshot.ts';

/**
 * The snapshot sources of this host's (or this network namespace's) kernel: /proc/net counters,
 * sock_diag listeners, `ip` route lookups, /proc/sys, `nft` and the given drop tracer (open it
 * with openDropTracer(), close it at shutdown).
 */
export function systemSnapshotDeps(agentId: string, tracer: DropTracer): SnapshotDeps {
  return {
    agentId,
    host: hostname(),
    now: Date.now,
    readCounters: () => readProcCounters(),
    readListeners: (ports) => readListeners(ports),
    lookupRoutes: (runners) => lookupRoutes(runners),
    readSysctls: () => readSysctls(),
    readFirewall: (ports) => readFirewallCounters(ports),
    readDrops: (ports) => tracer.read(ports),
  };
}
