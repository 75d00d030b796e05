import type { ProbeKind } from '@synack/shared/probe-outcome';

/** One row of `GET /v1/targets` and `synack status`: a (target, region, probe kind) series. */
export type TargetStatus = {
  target: string;
  region: string;
  kind: ProbeKind;
  /** Outcome of the latest attempt, and when it started (epoch ms); `null` before the first. */
  lastOutcome: string | null;
  lastAtMs: number | null;
  /** Over the last 5 minutes: attempts, and the share that completed the handshake (`null` if none). */
  attempts5m: number;
  successRatio5m: number | null;
  /** RTT percentiles of the answered attempts in the recent history, in µs (`null` if none). */
  rttP50Us: number | null;
  rttP99Us: number | null;
};
