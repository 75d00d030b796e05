import type { Cluster, Redis } from 'ioredis';

// ARGV: region, then (target, series, 1|0) triples in order, series being `kind/family`. Each hash
// field is a target; its value the space-separated `region/kind/family` whose latest attempt
// failed. None left: no field.
const UPDATE = `
local key, region = KEYS[1], ARGV[1]
for i = 2, #ARGV, 3 do
  local target, pair, failing = ARGV[i], region .. '/' .. ARGV[i + 1], ARGV[i + 2] == '1'
  local current = redis.call('HGET', key, target) or ''
  local pairs, found = {}, false
  for token in string.gmatch(current, '%S+') do
    if token == pair then found = true end
    if token ~= pair or failing then table.insert(pairs, token) end
  end
  if failing and not found then table.insert(pairs, pair) end
  if #pairs == 0 then redis.call('HDEL', key, target) else redis.call('HSET', key, target, table.concat(pairs, ' ')) end
end
return 1`;

/**
 * Keeps `${prefix}:failing`: which targets have a (region, kind, family) whose latest attempt
 * failed (per family, so a dual-stack target with one broken family does not flap).
 * The scheduler probes those faster until every pair recovers. One script run per batch, so two
 * collectors never lose each other's updates.
 */
export async function updateFailing(
  redis: Redis | Cluster,
  prefix: string,
  region: string,
  updates: readonly { target: string; kind: string; failing: boolean }[],
): Promise<void> {
  if (updates.length === 0) return;
  // Registered once per client: EVALSHA, not the script text with every batch.
  if (!hasCommand(redis)) redis.defineCommand(COMMAND, { lua: UPDATE, numberOfKeys: 1 });
  if (!hasCommand(redis)) throw new TypeError('synackUpdateFailing could not be defined');
  const args = updates.flatMap((u) => [u.target, u.kind, u.failing ? '1' : '0']);
  await redis[COMMAND](`${prefix}:failing`, region, ...args);
}

const COMMAND = 'synackUpdateFailing';
type FailingCommand = { [COMMAND]: (...args: string[]) => Promise<unknown> };

function hasCommand(client: object): client is FailingCommand {
  return typeof (client as Partial<FailingCommand>)[COMMAND] === 'function';
}

/** The failing targets and their failing `region/kind` pairs. */
export async function readFailing(redis: Redis | Cluster, prefix: string): Promise<Record<string, string[]>> {
  const raw = await redis.hgetall(`${prefix}:failing`);
  return Object.fromEntries(Object.entries(raw).map(([target, pairs]) => [target, pairs.split(' ')]));
}
