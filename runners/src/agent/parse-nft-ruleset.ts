import type { FirewallRule } from '@synack/shared/wire/agent-snapshot';
import { renderNftRule } from './nft-rule-text.ts';
import { nftMatches, type SetLookup } from './nft-value-match.ts';

type Json = Record<string, unknown>;

interface Chain {
  hook?: string;
  policy?: string;
  /** Traversed by packets coming in (ingress, prerouting, input, forward), or going out. */
  inbound: boolean;
  outbound: boolean;
  rules: Json[];
}

// A SYN to a local port crosses these hooks; the SYN-ACK crosses the outbound ones.
const INBOUND_HOOKS = new Set(['ingress', 'prerouting', 'input', 'forward']);
const OUTBOUND_HOOKS = new Set(['output', 'postrouting', 'egress']);
const VERDICTS = new Set([
  'accept',
  'drop',
  'reject',
  'jump',
  'goto',
  'return',
  'continue',
  'queue',
  'dnat',
  'snat',
  'redirect',
  'masquerade',
  'notrack',
]);
// Matches on these headers' fields mean the rule never sees TCP.
const NOT_TCP_PROTOCOLS = new Set(['udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'igmp', 'esp', 'ah']);
const TCP_PROTOCOL_NUMBER = 6;
const MAX_RULES = 1000;
const MAX_PORTS = 64;

/**
 * The firewall rules that can decide the fate of a handshake on `ports`, with their counters,
 * from `nft -j list ruleset` (native and iptables-nft tables alike, every family but arp):
 * - rules matching a monitored port: `tcp dport` / `th dport` (equal, in an anonymous or named
 *   set or range, `!=`, `<`...; verdict maps too) in chains incoming packets traverse, and
 *   `tcp sport` in chains outgoing ones do (the SYN-ACK);
 * - rules with no such port match that drop or reject, in any chain incoming packets traverse
 *   (an ingress, prerouting, input or forward base chain, and what it jumps to): they can drop
 *   our SYNs too;
 * - a base chain's `policy drop`, as handle 0 (policies have no counter).
 * Rules that only match other protocols (`udp dport 8080`, `meta l4proto udp`) are left out. A
 * rule without a `counter` statement reports 0 packets and says so in `rule`.
 */
export function parseNftRuleset(ruleset: unknown, ports: readonly number[]): FirewallRule[] {
  const items = isObject(ruleset) && Array.isArray(ruleset.nftables) ? ruleset.nftables : [];
  const sets = new Map<string, unknown[]>();
  const chains = new Map<string, Chain>();
  const rules: Json[] = [];
  for (const item of items) {
    if (!isObject(item)) continue;
    const set = item.set ?? item.map;
    if (isObject(set) && Array.isArray(set.elem)) sets.set(key(set.family, set.table, set.name), set.elem);
    if (isObject(item.chain)) {
      const { family, table, name, hook, policy } = item.chain;
      chains.set(key(family, table, name), {
        ...(typeof hook === 'string' ? { hook } : {}),
        ...(typeof policy === 'string' ? { policy } : {}),
        inbound: false,
        outbound: false,
        rules: [],
      });
    }
    if (isObject(item.rule)) rules.push(item.rule);
  }
  for (const rule of rules) chains.get(key(rule.family, rule.table, rule.chain))?.rules.push(rule);
  markTraversed(chains);

  const found: FirewallRule[] = [];
  for (const [chainKey, chain] of chains) {
    const [family = '', table = '', name = ''] = chainKey.split('\0');
    if (family === 'arp') continue;
    const base = {
      backend: 'nft' as const,
      family: family.slice(0, 16),
      table: table.slice(0, 64),
      chain: name.slice(0, 64),
    };
    if (chain.policy === 'drop' && (chain.inbound || chain.outbound)) {
      found.push({
        ...base,
        handle: 0,
        rule: 'policy drop (no counter)',
        verdict: 'drop',
        ports: [],
        packets: 0,
        bytes: 0,
      });
    }
    for (const rule of chain.rules) {
      const selected = selectRule(rule, chain, ports, (setName) => sets.get(key(family, table, setName)));
      if (selected) found.push({ ...base, ...selected });
    }
  }
  return found.slice(0, MAX_RULES);
}

type Selected = Pick<FirewallRule, 'handle' | 'rule' | 'verdict' | 'ports' | 'packets' | 'bytes'>;

function selectRule(rule: Json, chain: Chain, ports: readonly number[], lookup: SetLookup): Selected | undefined {
  const expressions = Array.isArray(rule.expr) ? rule.expr : [];
  // Chains no base chain reaches see no packets; their port matches are still worth showing.
  const fields = new Set<string>();
  if (chain.inbound || !chain.outbound) fields.add('dport');
  if (chain.outbound) fields.add('sport');

  let candidates: number[] | undefined;
  const verdicts: string[] = [];
  let counter: { packets: number; bytes: number } | undefined;
  for (const statement of expressions) {
    if (!isObject(statement)) continue;
    const [kind, body] = Object.entries(statement)[0] ?? ['', null];
    if (kind === 'match' && isObject(body)) {
      if (excludesTcp(body, lookup)) return undefined;
      const field = portField(body.left);
      if (field && fields.has(field)) {
        const accepted = ports.filter((port) => nftMatches(body.op, body.right, port, lookup) !== false);
        candidates = (candidates ?? accepted).filter((port) => accepted.includes(port));
      }
    } else if (kind === 'vmap' && isObject(body) && fields.has(portField(body.key) ?? '')) {
      const mapped = ports.flatMap((port) => {
        const verdict = mapVerdict(body.data, port, lookup);
        return verdict === undefined ? [] : [{ port, verdict }];
      });
      candidates = (candidates ?? ports).filter((port) => mapped.some((entry) => entry.port === port));
      verdicts.push(
        [...new Set(mapped.filter((entry) => candidates?.includes(entry.port)).map((entry) => entry.verdict))].join(
          ' / ',
        ),
      );
    } else if (kind === 'counter' && counter === undefined) {
      counter = isObject(body)
        ? { packets: toCount(body.packets), bytes: toCount(body.bytes) }
        : { packets: 0, bytes: 0 };
    } else if (VERDICTS.has(kind)) {
      verdicts.push(renderVerdict(kind, body));
    } else if (kind === 'xt' && isObject(body) && body.type === 'target' && typeof body.name === 'string') {
      // iptables-nft keeps some targets as xtables extensions: `-j REJECT` is one (its type is
      // not in the JSON). DROP and ACCEPT become native verdicts.
      const name = body.name.toUpperCase();
      verdicts.push(name === 'REJECT' ? 'reject (iptables REJECT)' : name === 'DROP' ? 'drop' : `xt ${body.name}`);
    }
  }
  const verdict = (verdicts[verdicts.length - 1] || 'continue').slice(0, 64);
  if (candidates !== undefined ? candidates.length === 0 : !(isDrop(verdict) && chain.inbound)) {
    return undefined;
  }
  const text = renderNftRule(expressions, 480);
  const hasInlineCounter = expressions.some((statement) => isObject(statement) && isObject(statement.counter));
  return {
    handle: toCount(rule.handle),
    rule: hasInlineCounter ? text : `${text} (no counter)`,
    verdict,
    ports: (candidates ?? []).slice(0, MAX_PORTS),
    packets: counter?.packets ?? 0,
    bytes: counter?.bytes ?? 0,
  };
}

// Which TCP port a match's left side reads: `tcp dport`, `th dport`, or raw `@th,16,16`.
function portField(left: unknown): 'dport' | 'sport' | undefined {
  const payload = isObject(left) && isObject(left.payload) ? left.payload : undefined;
  if (!payload) return undefined;
  if (
    (payload.protocol === 'tcp' || payload.protocol === 'th') &&
    (payload.field === 'dport' || payload.field === 'sport')
  ) {
    return payload.field;
  }
  if (payload.base === 'th' && payload.len === 16)
    return payload.offset === 16 ? 'dport' : payload.offset === 0 ? 'sport' : undefined;
  return undefined;
}

// `udp dport 53`, `meta l4proto udp`, `ip protocol != tcp`: the rule cannot match a TCP packet.
function excludesTcp(match: Json, lookup: SetLookup): boolean {
  const left = match.left;
  if (!isObject(left)) return false;
  const payload = isObject(left.payload) ? left.payload : undefined;
  if (payload && typeof payload.protocol === 'string' && NOT_TCP_PROTOCOLS.has(payload.protocol)) return true;
  const l4 =
    (isObject(left.meta) && left.meta.key === 'l4proto') ||
    (payload?.protocol === 'ip' && payload.field === 'protocol') ||
    (payload?.protocol === 'ip6' && payload.field === 'nexthdr');
  if (!l4) return false;
  const byName = nftMatches(match.op, match.right, 'tcp', lookup);
  const byNumber = nftMatches(match.op, match.right, TCP_PROTOCOL_NUMBER, lookup);
  return byName === false && byNumber === false;
}

// The verdict a verdict map gives `port`, or undefined when it has no element for it.
function mapVerdict(data: unknown, port: number, lookup: SetLookup): string | undefined {
  let elements: unknown[] | undefined;
  if (typeof data === 'string' && data.startsWith('@')) elements = lookup(data.slice(1));
  else if (isObject(data) && Array.isArray(data.set)) elements = data.set;
  for (const element of elements ?? []) {
    if (!Array.isArray(element) || !nftMatches('==', element[0], port, lookup)) continue;
    const [kind, body] = isObject(element[1])
      ? (Object.entries(element[1])[0] ?? ['', null])
      : [String(element[1]), null];
    return renderVerdict(kind, body);
  }
  return undefined;
}

function renderVerdict(kind: string, body: unknown): string {
  if (kind === 'reject') return renderNftRule([{ reject: body }]);
  if ((kind === 'jump' || kind === 'goto') && isObject(body)) return `${kind} ${body.target}`;
  return kind;
}

function isDrop(verdict: string): boolean {
  return verdict === 'drop' || verdict.startsWith('reject');
}

// Marks every chain a packet can traverse: the base chains by their hook, then whatever they jump
// or go to (the same table only: nft has no cross-table jumps).
function markTraversed(chains: Map<string, Chain>): void {
  for (const direction of ['inbound', 'outbound'] as const) {
    const hooks = direction === 'inbound' ? INBOUND_HOOKS : OUTBOUND_HOOKS;
    const queue = [...chains].filter(([, chain]) => chain.hook !== undefined && hooks.has(chain.hook));
    for (const [, chain] of queue) chain[direction] = true;
    while (queue.length > 0) {
      const [chainKey, chain] = queue.shift() as [string, Chain];
      const [family, table] = chainKey.split('\0');
      for (const target of chain.rules.flatMap((rule) => jumpTargets(rule.expr))) {
        const next = chains.get(key(family, table, target));
        if (next && !next[direction]) {
          next[direction] = true;
          queue.push([key(family, table, target), next]);
        }
      }
    }
  }
}

function jumpTargets(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(jumpTargets);
  if (!isObject(value)) return [];
  const targets: string[] = [];
  for (const [kind, body] of Object.entries(value)) {
    if ((kind === 'jump' || kind === 'goto') && isObject(body) && typeof body.target === 'string')
      targets.push(body.target);
    else targets.push(...jumpTargets(body));
  }
  return targets;
}

function key(family: unknown, table: unknown, name: unknown): string {
  return `${family}\0${table}\0${name}`;
}

function toCount(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
