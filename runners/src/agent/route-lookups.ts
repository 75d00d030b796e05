import { isIP } from 'node:net';
import type { RouteLookup } from '@synack/shared/wire/agent-snapshot';
import { ConcurrencyLimit } from '../runner/concurrency-limit.ts';
import { parseNeighbourState } from './parse-neighbour-state.ts';
import { parseRouteGet } from './parse-route-get.ts';
import { type RunTool, runTool } from './run-tool.ts';
import { failedSource, type SourceReading, type SourceStatus } from './source-reading.ts';

/** A runner source address to look a route up for, and the regions of the runners using it. */
export interface RunnerAddress {
  address: string;
  regions: readonly string[];
}

const ROUTE_SOURCE = 'ip -j route get';
const NEIGHBOUR_SOURCE = 'ip -j neigh show';
const CONCURRENCY = 8;
const MAX_LOOKUPS = 1000;
const MAX_REGIONS = 64;

/**
 * Looks up this namespace's route back to each runner address (`ip -j route get`, per address:
 * a table may route some regions and not others), and the neighbour state of the next hop it
 * returns. A lookup that fails is a result (`unreachable`, `prohibited`, ...), not a source
 * failure; the sources fail only when `ip` cannot run (then no lookups are listed). Addresses
 * seen twice are looked up once, their regions merged; at most 1000; strings that are not IP
 * addresses are skipped.
 */
export async function lookupRoutes(
  runners: readonly RunnerAddress[],
  run: RunTool = runTool,
): Promise<SourceReading<RouteLookup[]>> {
  const destinations = mergeByAddress(runners);
  const limit = new ConcurrencyLimit(CONCURRENCY);
  const failures = { route: undefined as unknown, neighbour: undefined as unknown };
  const lookups = await Promise.all(
    destinations.map((target) =>
      limit.run(async (): Promise<RouteLookup | undefined> => {
        const familyFlag = target.family === 'v6' ? ['-6'] : ['-4'];
        let answer: ReturnType<typeof parseRouteGet>;
        try {
          answer = parseRouteGet(await run('ip', ['-j', ...familyFlag, 'route', 'get', target.destination]));
        } catch (cause) {
          failures.route ??= cause;
          return undefined;
        }
        const { type, ...fields } = answer;
        const lookup: RouteLookup = { ...target, ...fields };
        // A local route needs no neighbour; a failed one has none.
        if (answer.result !== 'ok' || type !== undefined || !answer.dev || answer.dev === 'lo') return lookup;
        const nextHop = answer.gateway ?? target.destination;
        try {
          const shown = await run('ip', ['-j', ...familyFlag, 'neigh', 'show', 'to', nextHop, 'dev', answer.dev]);
          const neighbour = shown.code === 0 ? parseNeighbourState(shown.stdout) : undefined;
          if (neighbour !== undefined) lookup.neighbour = neighbour;
        } catch (cause) {
          failures.neighbour ??= cause;
        }
        return lookup;
      }),
    ),
  );
  const sources: SourceStatus[] = [
    failures.route === undefined ? { source: ROUTE_SOURCE, ok: true } : failedSource(ROUTE_SOURCE, failures.route),
    failures.neighbour === undefined
      ? { source: NEIGHBOUR_SOURCE, ok: true }
      : failedSource(NEIGHBOUR_SOURCE, failures.neighbour),
  ];
  return { value: lookups.filter((lookup) => lookup !== undefined), sources };
}

function mergeByAddress(runners: readonly RunnerAddress[]): Pick<RouteLookup, 'destination' | 'family' | 'regions'>[] {
  const byAddress = new Map<string, { family: 'v4' | 'v6'; regions: Set<string> }>();
  for (const runner of runners) {
    const version = isIP(runner.address);
    if (version === 0) continue;
    const entry = byAddress.get(runner.address) ?? { family: version === 6 ? 'v6' : 'v4', regions: new Set<string>() };
    for (const region of runner.regions) entry.regions.add(region);
    byAddress.set(runner.address, entry);
  }
  return [...byAddress].slice(0, MAX_LOOKUPS).map(([destination, { family, regions }]) => ({
    destination,
    family,
    regions: [...regions].slice(0, MAX_REGIONS),
  }));
}
