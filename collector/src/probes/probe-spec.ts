import type { TargetConfig } from '@synack/shared/config/synack-config';
import { type Endpoint, parseEndpoint } from '@synack/shared/parse-endpoint';
import { isSynackError } from '@synack/shared/synack-error';

/** What an on-demand request names: a configured target, or an address or hostname with a port. */
export type ProbeSpec = { kind: 'target'; target: TargetConfig } | { kind: 'endpoint'; endpoint: Endpoint };

// inet_aton(3) reads `0x7f.1`, `0177.0.0.1` and `2130706433` as IPv4 addresses; a resolver handed
// one may answer with that address. Such a "hostname" is refused outright rather than trusted to
// the allow-list check after resolution.
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;

/**
 * Reads `<target|host:port>` as chat and the API give it. A configured target's name wins; an
 * address and port that a configured target has is that target (so it keeps its history and
 * diagnosis). Pure.
 */
export function parseProbeSpec(
  text: string,
  targets: readonly TargetConfig[],
): { ok: true; spec: ProbeSpec } | { ok: false; message: string } {
  const trimmed = text.trim();
  const named = targets.find((t) => t.name === trimmed);
  if (named) return { ok: true, spec: { kind: 'target', target: named } };
  if (/^[a-z0-9-]{1,63}$/.test(trimmed) && !trimmed.includes(':')) {
    return { ok: false, message: `no configured target is named "${trimmed}" (give host:port to probe an address)` };
  }
  let endpoint: Endpoint;
  try {
    endpoint = parseEndpoint(trimmed);
  } catch (error) {
    if (isSynackError(error)) return { ok: false, message: error.message };
    throw error;
  }
  if (endpoint.kind === 'hostname') {
    const labels = endpoint.host.split('.');
    if (labels.length <= 4 && labels.every((label) => NUMERIC_LABEL.test(label))) {
      return {
        ok: false,
        message: `"${endpoint.host}" is a numeric address in a form other than dotted decimal: write it as a.b.c.d`,
      };
    }
  }
  const address = endpoint.kind === 'address' ? endpoint.address : endpoint.host;
  const same = targets.find((t) => t.address === address && t.port === endpoint.port);
  if (same) return { ok: true, spec: { kind: 'target', target: same } };
  return { ok: true, spec: { kind: 'endpoint', endpoint } };
}
