// DOM and text helpers. Text always goes in through textContent, never innerHTML: target names,
// evidence and hints come from configuration and probes.

/**
 * Creates an element: `attrs` are attributes (`class`, `data-*`, `title`...), except `on*`
 * functions, which become listeners. Children are nodes or strings; null and false are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.slice(2).toLowerCase(), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces all children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) if (child) node.append(child);
}

/** `0.9934` → `99.34%`; three significant decimals near 100% so 99.9 and 99.99 stay apart. */
export function percent(ratio) {
  if (ratio === null || ratio === undefined) return '–';
  const value = ratio * 100;
  if (value >= 99 && value < 100) return `${value.toFixed(2)}%`;
  return `${value.toFixed(value === 100 || value === 0 ? 0 : 1)}%`;
}

/** Microseconds to a short millisecond text: `0.42 ms`, `3.1 ms`, `240 ms`. */
export function rttText(us) {
  if (us === null || us === undefined) return '–';
  const ms = us / 1000;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A duration in ms as `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function durationText(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** `12 min ago`, relative to `nowMs`. */
export function agoText(atMs, nowMs) {
  return `${durationText(nowMs - atMs)} ago`;
}

/** A local wall-clock time, with the date when it is not today. */
export function clockText(atMs) {
  const at = new Date(atMs);
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (at.toDateString() === new Date().toDateString()) return time;
  return `${at.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/** `server_firewall_drop` → `server firewall drop`. */
export function verdictText(verdict) {
  return String(verdict).replaceAll('_', ' ');
}

/** Outcomes that mean the handshake would have succeeded (shared/src/probe-outcome.ts isAnswered). */
export function isAnswered(outcome) {
  return outcome === 'synack' || outcome === 'established';
}
