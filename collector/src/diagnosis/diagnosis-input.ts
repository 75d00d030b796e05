import type { AddressFamily } from '@synack/shared/address-family';
import type { ProbeKind } from '@synack/shared/probe-outcome';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';
import type { PathTrace } from './path-trace.ts';

/** One attempt as the rules see it. */
export type ObservedAttempt = {
  region: string;
  family: AddressFamily;
  /** The target address probed. */
  address?: string;
  kind: ProbeKind;
  outcome: string;
  /** The runner's local error code, for `local_error`. */
  errorCode?: string;
  icmp?: { type: number; code: number; from: string; meaning: string };
  startedAtMs: number;
};

/** A runner's own health, from its heartbeat and control target. */
export type RunnerHealth = { id: string; region: string; controlOk: boolean | null };

/**
 * Everything the rules get for one target over one window: the attempts from every region, the
 * runners' health, and the server agent's view (counter deltas summed over the window, the latest
 * listeners, route lookups and firewall counters). Built by the collector; the rules are pure.
 */
export type DiagnosisInput = {
  target: { name: string; port: number; addresses: readonly string[] };
  attempts: readonly ObservedAttempt[];
  runners: readonly RunnerHealth[];
  /** `null` when no agent reports for this target's server. */
  agent: {
    id: string;
    /** The time the view covers: from the snapshot its deltas count from, to its latest. */
    span: { fromMs: number; toMs: number };
    counterDeltas: Readonly<Record<string, number>>;
    listeners: AgentSnapshot['listeners'];
    routes: AgentSnapshot['routes'];
    sysctls: AgentSnapshot['sysctls'];
    firewall: AgentSnapshot['firewall'];
    /** Packets counted by each firewall rule during the window, by {@link firewallRuleKey}. */
    firewallDeltas: Readonly<Record<string, number>>;
    drops: AgentSnapshot['drops'];
    sources: AgentSnapshot['sources'];
  } | null;
  /**
   * Why `agent` is `null` although an agent serves the target (e.g. no snapshot since the failure
   * began: the server, or its path to the collector, may be down); for the evidence.
   */
  agentMissing?: string;
  /** TCP traceroutes from failing regions taken during this failure, when the path was suspected. */
  traces?: readonly PathTrace[];
};
