/**
 * A rule of `nft -j list ruleset` back in nft's text form, near enough for people to recognise:
 * `tcp dport { 443, 8080 } counter packets 3 bytes 180 reject with tcp reset`. Statements it
 * does not know are shown by name (`xt`, `quota`...). At most `maxChars`.
 */
export function renderNftRule(expressions: readonly unknown[], maxChars = 500): string {
  const text = expressions
    .map(renderStatement)
    .filter((part) => part !== '')
    .join(' ');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 3)}...`;
}

// Meta keys nft prints without `meta` (src/meta.c: meta_key_is_unqualified()).
const UNQUALIFIED_META = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);

function renderStatement(statement: unknown): string {
  if (!isObject(statement)) return String(statement);
  const [kind, body] = Object.entries(statement)[0] ?? ['', null];
  switch (kind) {
    case 'match': {
      const match = body as { op?: string; left?: unknown; right?: unknown };
      const op = match.op === '==' || match.op === 'in' ? '' : ` ${match.op}`;
      return `${renderValue(match.left)}${op} ${renderValue(match.right)}`;
    }
    case 'counter':
      return isObject(body)
        ? `counter packets ${body.packets} bytes ${body.bytes}`
        : `counter name ${renderValue(body)}`;
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
    case 'notrack':
    case 'masquerade':
      return kind;
    case 'jump':
    case 'goto':
      return `${kind} ${(body as { target?: string }).target}`;
    case 'reject':
      return renderReject(body);
    case 'vmap': {
      const vmap = body as { key?: unknown; data?: unknown };
      return `${renderValue(vmap.key)} vmap ${renderValue(vmap.data)}`;
    }
    case 'log':
      return isObject(body) && typeof body.prefix === 'string' ? `log prefix "${body.prefix}"` : 'log';
    case 'limit': {
      const limit = body as { rate?: number; per?: string; inv?: boolean };
      return `limit rate ${limit.inv ? 'over ' : ''}${limit.rate}/${limit.per}`;
    }
    case 'dnat':
    case 'snat':
    case 'redirect': {
      const nat = (body ?? {}) as { addr?: unknown; port?: unknown };
      const to = [
        nat.addr === undefined ? '' : renderValue(nat.addr),
        nat.port === undefined ? '' : `:${renderValue(nat.port)}`,
      ];
      return to.join('') === '' ? kind : `${kind} to ${to.join('')}`;
    }
    default:
      return kind;
  }
}

function renderReject(body: unknown): string {
  if (!isObject(body) || body.type === undefined) return 'reject';
  return body.expr === undefined ? `reject with ${body.type}` : `reject with ${body.type} ${renderValue(body.expr)}`;
}

function renderValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  if (typeof value === 'boolean') return value ? 'exists' : 'missing';
  if (Array.isArray(value)) return value.map(renderValue).join(' ');
  if (!isObject(value)) return String(value);
  const [kind, body] = Object.entries(value)[0] ?? ['', null];
  switch (kind) {
    case 'payload': {
      const payload = body as { protocol?: string; field?: string; base?: string; offset?: number; len?: number };
      return payload.protocol
        ? `${payload.protocol} ${payload.field}`
        : `@${payload.base},${payload.offset},${payload.len}`;
    }
    case 'meta': {
      const key = (body as { key?: string }).key ?? '';
      return UNQUALIFIED_META.has(key) ? key : `meta ${key}`;
    }
    case 'ct':
      return `ct ${(body as { key?: string }).key}`;
    case 'set':
      return `{ ${(Array.isArray(body) ? body : [body]).map(renderSetElement).join(', ')} }`;
    case 'range':
      return (body as unknown[]).map(renderValue).join('-');
    case 'prefix': {
      const prefix = body as { addr?: unknown; len?: number };
      return `${renderValue(prefix.addr)}/${prefix.len}`;
    }
    case 'concat':
      return (body as unknown[]).map(renderValue).join(' . ');
    case 'elem':
      return renderValue((body as { val?: unknown }).val);
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return kind;
    case 'jump':
    case 'goto':
      return `${kind} ${(body as { target?: string }).target}`;
    default:
      return kind;
  }
}

// A map element is a [key, value] pair: `8080 : drop`.
function renderSetElement(element: unknown): string {
  return Array.isArray(element) && element.length === 2
    ? `${renderValue(element[0])} : ${renderValue(element[1])}`
    : renderValue(element);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
