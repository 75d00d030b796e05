import type { RouteLookup } from '@synack/shared/wire/agent-snapshot';
import type { ToolResult } from './run-tool.ts';

/** What one `ip -j route get` says: the contract's route fields, less the ones the caller knows. */
export type RouteAnswer = Pick<RouteLookup, 'result' | 'error' | 'dev' | 'gateway' | 'prefsrc'> & {
  /** Route type when not unicast (`local`, ...): no neighbour to look up for a local route. */
  type?: string;
};

// The kernel's answer to a lookup that hit no route or a special route, as iproute2 prints it
// (strerror of the errno): fib_props[] gives -ENETUNREACH for no route and `throw`, -EHOSTUNREACH
// for `unreachable`, -EACCES for `prohibit`, -EINVAL for `blackhole` (ip6_route_info() and
// rt6_info errors alike). We pass well-formed addresses, so EINVAL can only be the route.
const ERRORS: Record<string, RouteLookup['result']> = {
  'Network is unreachable': 'unreachable',
  'No route to host': 'unreachable',
  'Permission denied': 'prohibited',
  'Invalid argument': 'blackhole',
};

// Route types, for a kernel that returns the special route instead of an error.
const TYPES: Record<string, RouteLookup['result']> = {
  unreachable: 'unreachable',
  throw: 'unreachable',
  prohibit: 'prohibited',
  blackhole: 'blackhole',
};

const MAX_ERROR_CHARS = 200;

/** Turns one `ip -j [-6] route get <address>` run into the lookup's result. */
export function parseRouteGet(run: ToolResult): RouteAnswer {
  if (run.code === null) return { result: 'error', error: 'ip route get timed out' };
  if (run.code !== 0) {
    const words = lastLine(run.stderr).replace(/^RTNETLINK answers:\s*/, '');
    return {
      result: ERRORS[words] ?? 'error',
      error: (words || `ip exited with ${run.code}`).slice(0, MAX_ERROR_CHARS),
    };
  }
  let route: unknown;
  try {
    route = (JSON.parse(run.stdout) as unknown[])[0];
  } catch {
    return { result: 'error', error: 'ip route get printed no JSON' };
  }
  if (typeof route !== 'object' || route === null) return { result: 'error', error: 'ip route get found no route' };
  const fields = route as Record<string, unknown>;
  const answer: RouteAnswer = { result: 'ok' };
  const type = text(fields.type);
  if (type !== undefined) {
    answer.type = type;
    const special = TYPES[type];
    if (special) Object.assign(answer, { result: special, error: `${type} route` });
  }
  const dev = text(fields.dev);
  const gateway = text(fields.gateway);
  const prefsrc = text(fields.prefsrc);
  if (dev !== undefined) answer.dev = dev;
  if (gateway !== undefined) answer.gateway = gateway;
  if (prefsrc !== undefined) answer.prefsrc = prefsrc;
  return answer;
}

function lastLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
