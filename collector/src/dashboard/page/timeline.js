import { agoText, clockText, durationText, el, fill, verdictText } from './format.js';

// Evidence panels the user opened or closed, by event, so the refresh does not undo it.
const toggled = new Map();

/**
 * Draws a target's diagnosis history from `GET /v1/diagnoses?target=`: `log` holds the record as
 * saved at each change, newest first (opened, updated as evidence sharpened, resolved). Each event
 * shows the verdict, its scope, what to check next and the evidence that decided it.
 */
export function renderTimeline(container, { current, log, nowMs }) {
  const events = log.length > 0 ? log : current;
  if (events.length === 0) {
    fill(container, el('p', { class: 'empty' }, 'No diagnosis: handshakes to this target have not failed.'));
    return;
  }
  fill(
    container,
    el(
      'ol',
      { class: 'events' },
      events.map((record, index) => {
        // Only the newest event of a diagnosis says how long it has been open.
        const newestOfItsId = events.findIndex((other) => other.id === record.id) === index;
        return event(record, index === 0, newestOfItsId, nowMs);
      }),
    ),
  );
}

function event(record, newest, newestOfItsId, nowMs) {
  const kind =
    record.status === 'resolved' ? 'resolved' : record.updatedAtMs === record.openedAtMs ? 'opened' : 'updated';
  const atMs = kind === 'resolved' ? (record.resolvedAtMs ?? record.updatedAtMs) : record.updatedAtMs;
  const key = `${record.id}@${record.updatedAtMs}@${record.status}`;
  const scope = [
    record.scope?.regions?.length ? `regions ${record.scope.regions.join(', ')}` : 'all regions',
    record.scope?.families?.length ? record.scope.families.join(', ') : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const lasted =
    kind === 'resolved'
      ? `lasted ${durationText(atMs - record.openedAtMs)}`
      : newestOfItsId
        ? `open for ${durationText(nowMs - record.openedAtMs)}`
        : null;
  const details = el(
    'details',
    { class: 'evidence', open: toggled.get(key) ?? newest },
    el('summary', {}, `Evidence (${record.evidence?.length ?? 0})`),
    evidenceTable(record.evidence ?? []),
  );
  details.addEventListener('toggle', () => toggled.set(key, details.open));
  return el(
    'li',
    { class: `event event-${kind}`, 'data-verdict': record.verdict },
    el(
      'div',
      { class: 'event-when' },
      el('time', { datetime: new Date(atMs).toISOString() }, clockText(atMs)),
      el('span', { class: 'muted small' }, agoText(atMs, nowMs)),
    ),
    el(
      'div',
      { class: 'event-body' },
      el(
        'div',
        { class: 'event-head' },
        el('span', { class: `event-kind ${kind}` }, kind),
        el('span', { class: `verdict-badge ${record.status}` }, verdictText(record.verdict)),
        el('span', { class: 'muted small' }, lasted ? `${scope} · ${lasted}` : scope),
      ),
      record.next ? el('p', { class: 'next' }, record.next) : null,
      details,
    ),
  );
}

function evidenceTable(evidence) {
  if (evidence.length === 0) return el('p', { class: 'muted small' }, 'No evidence recorded.');
  return el(
    'table',
    { class: 'facts' },
    el('thead', {}, el('tr', {}, el('th', {}, 'source'), el('th', {}, 'fact'), el('th', {}, 'value'))),
    el(
      'tbody',
      {},
      evidence.map((fact) =>
        el(
          'tr',
          {},
          el('td', { class: 'source' }, fact.source),
          el('td', {}, fact.fact),
          el('td', { class: 'value' }, String(fact.value)),
        ),
      ),
    ),
  );
}
