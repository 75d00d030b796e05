import { z } from 'zod';

/** What a runner publishes about itself, refreshed every few seconds while it lives. */
export const runnerHeartbeatSchema = z.object({
  id: z.string().min(1).max(128),
  region: z.string().regex(/^[a-z0-9-]{1,32}$/),
  version: z.string().max(64),
  hostname: z.string().max(253),
  pid: z.number().int().positive(),
  /** Whether this runner may open raw sockets (CAP_NET_RAW): SYN probes need it. */
  rawSyn: z.boolean(),
  /** The addresses its probes leave from (route lookups toward its targets). */
  sourceAddresses: z.array(z.string().max(45)).max(64),
  startedAtMs: z.number().int().nonnegative(),
  seenAtMs: z.number().int().nonnegative(),
  /** Probes in flight and done since start. */
  inFlight: z.number().int().nonnegative(),
  probed: z.number().int().nonnegative(),
  /** Last control-target result: `null` before the first one. */
  control: z.object({ ok: z.boolean(), outcome: z.string().max(32), atMs: z.number().int().nonnegative() }).nullable(),
});
export type RunnerHeartbeat = z.infer<typeof runnerHeartbeatSchema>;

/** How long a heartbeat keeps a runner "live"; runners beat every third of it. */
export const RUNNER_TTL_MS = 15_000;

/** The Redis hash of heartbeats (runner id → JSON), under a config prefix. */
export const runnersKey = (prefix: string) => `${prefix}:runners`;

/**
 * The runners whose last heartbeat is younger than `ttlMs`, from the registry hash as read
 * (`HGETALL`). Entries that fail the schema are skipped, not fatal. Pure.
 */
export function liveRunners(raw: Record<string, string>, nowMs: number, ttlMs = RUNNER_TTL_MS): RunnerHeartbeat[] {
  const out: RunnerHeartbeat[] = [];
  for (const text of Object.values(raw)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    const parsed = runnerHeartbeatSchema.safeParse(value);
    if (parsed.success && nowMs - parsed.data.seenAtMs <= ttlMs) out.push(parsed.data);
  }
  return out.sort((a, b) => (a.region === b.region ? (a.id < b.id ? -1 : 1) : a.region < b.region ? -1 : 1));
}
