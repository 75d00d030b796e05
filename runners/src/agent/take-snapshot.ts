import {
  AGENT_SNAPSHOT_VERSION,
  type AgentSnapshot,
  type DropReason,
  type FirewallRule,
  type Listener,
  type RouteLookup,
} from '@synack/shared/wire/agent-snapshot';
import { counterDeltas } from './counter-deltas.ts';
import type { Counters } from './parse-proc-counters.ts';
import type { RunnerAddress } from './route-lookups.ts';
import { failedSource, type SourceReading } from './source-reading.ts';

/** Where each part of a snapshot comes from (systemSnapshotDeps() wires the real ones). */
export interface SnapshotDeps {
  agentId: string;
  host: string;
  /** Epoch ms. */
  now: () => number;
  readCounters: () => Promise<SourceReading<Counters>>;
  readListeners: (ports: readonly number[]) => SourceReading<Listener[]> | Promise<SourceReading<Listener[]>>;
  lookupRoutes: (runners: readonly RunnerAddress[]) => Promise<SourceReading<RouteLookup[]>>;
  readSysctls: () => Promise<SourceReading<Record<string, string>>>;
  readFirewall: (ports: readonly number[]) => Promise<SourceReading<FirewallRule[]>>;
  readDrops: (ports: readonly number[]) => SourceReading<DropReason[]> | Promise<SourceReading<DropReason[]>>;
}

/** What to snapshot: why, the monitored ports, and the runner addresses to look routes up for. */
export interface SnapshotRequest {
  trigger: AgentSnapshot['trigger'];
  ports: readonly number[];
  runners: readonly RunnerAddress[];
}

/** What one snapshot leaves for the next: the raw counters its deltas start from. */
export interface SnapshotState {
  /** The next snapshot's sequence number. */
  seq: number;
  counters: Counters | null;
  atMs: number | null;
  /** The snapshot in progress: snapshots run one at a time, so deltas never overlap. */
  running: Promise<unknown>;
}

/** The state of an agent that has taken no snapshot yet (its first one has no counter deltas). */
export function createSnapshotState(): SnapshotState {
  return { seq: 0, counters: null, atMs: null, running: Promise.resolve() };
}

const MAX_ITEMS = 1000;
const MAX_COUNTER_NAME = 64;

/**
 * Takes one snapshot: counters as deltas since the previous snapshot (none on the first), the
 * listeners, route lookups, sysctls, firewall rules and drop events for the request's ports and
 * runners, and every source's status. A source that fails, or even throws, is a status: the
 * snapshot is still taken. Updates `state` (sequence number, raw counters); calls made before
 * the previous one finished wait for it.
 */
export function takeSnapshot(
  deps: SnapshotDeps,
  state: SnapshotState,
  request: SnapshotRequest,
): Promise<AgentSnapshot> {
  const snapshot = state.running.then(() => take(deps, state, request));
  state.running = snapshot.catch(() => {});
  return snapshot;
}

async function take(deps: SnapshotDeps, state: SnapshotState, request: SnapshotRequest): Promise<AgentSnapshot> {
  const atMs = deps.now();
  const [counters, listeners, routes, sysctls, firewall, drops] = await Promise.all([
    guard('/proc/net', {}, deps.readCounters),
    guard('netlink sock_diag', [], () => deps.readListeners(request.ports)),
    guard('ip -j route get', [], () => deps.lookupRoutes(request.runners)),
    guard('/proc/sys/net', {}, deps.readSysctls),
    guard('nft -j list ruleset', [], () => deps.readFirewall(request.ports)),
    guard('tracefs', [], () => deps.readDrops(request.ports)),
  ]);
  const deltas = state.counters === null ? {} : counterDeltas(state.counters, counters.value);
  const snapshot: AgentSnapshot = {
    v: AGENT_SNAPSHOT_VERSION,
    agentId: deps.agentId,
    host: deps.host.slice(0, 253),
    atMs,
    sinceMs: state.counters === null ? null : state.atMs,
    trigger: request.trigger,
    seq: state.seq,
    counterDeltas: Object.fromEntries(Object.entries(deltas).filter(([name]) => name.length <= MAX_COUNTER_NAME)),
    listeners: listeners.value.slice(0, MAX_ITEMS),
    routes: routes.value.slice(0, MAX_ITEMS),
    sysctls: sysctls.value,
    firewall: firewall.value.slice(0, MAX_ITEMS),
    drops: drops.value.slice(0, MAX_ITEMS),
    sources: [counters, listeners, routes, sysctls, firewall, drops].flatMap((reading) => reading.sources).slice(0, 64),
  };
  state.seq += 1;
  // Counters missing this time (a file that could not be read) keep their last value, so they
  // do not come back later as a jump from zero.
  state.counters = { ...state.counters, ...counters.value };
  state.atMs = atMs;
  return snapshot;
}

// Sources are written not to throw; this keeps a bug in one from costing the whole snapshot.
async function guard<T>(
  source: string,
  empty: T,
  read: () => SourceReading<T> | Promise<SourceReading<T>>,
): Promise<SourceReading<T>> {
  try {
    return await read();
  } catch (cause) {
    return { value: empty, sources: [failedSource(source, cause)] };
  }
}
