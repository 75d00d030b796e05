import { ErrorCode, SynackError } from '@synack/shared/synack-error';
import type { TelemetryOptions } from '../main.ts';

/**
 * Telemetry settings from the environment, as OpenTelemetry tools expect them:
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP/HTTP base; traces and OTLP metrics only when set), and
 * `SYNACK_TRACE_SUCCESS_RATIO` (share of successful attempts traced, 0..1; default 0.01).
 * Throws a `SynackError` naming the variable when a value is wrong.
 */
export function telemetryFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TelemetryOptions {
  const out: TelemetryOptions = {};
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (endpoint) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw new SynackError(ErrorCode.badOption, 'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL');
    out.otlpEndpoint = endpoint;
  }
  const ratio = env.SYNACK_TRACE_SUCCESS_RATIO?.trim();
  if (ratio) {
    const value = Number(ratio);
    if (!Number.isFinite(value) || value < 0 || value > 1)
      throw new SynackError(
        ErrorCode.badOption,
        `SYNACK_TRACE_SUCCESS_RATIO: expected a number from 0 to 1, got "${ratio}"`,
      );
    out.successSampleRatio = value;
  }
  return out;
}
