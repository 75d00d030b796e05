import { agoText, el, fill, isAnswered, percent, rttText, verdictText } from './format.js';

// A series whose latest attempt is older than this is shown as stale: its runner stopped probing.
const STALE_MS = 5 * 60_000;

/**
 * Draws the targets × regions grid from `GET /v1/targets` rows and the current diagnoses. Each
 * cell shows, per probe kind, the latest outcome, the 5-minute success ratio and p50, and the
 * open diagnosis' verdict when its scope covers the region. Clicking a row calls `onSelect(name)`.
 */
export function renderGrid(container, { targets, diagnoses, selected, nowMs, onSelect }) {
  const regions = [...new Set(targets.map((t) => t.region))].sort();
  const names = [...new Set([...targets.map((t) => t.target), ...diagnoses.map((d) => d.target)])].sort();
  if (names.length === 0) {
    fill(container, el('p', { class: 'empty' }, 'No target has been probed yet.'));
    return;
  }
  const byCell = new Map();
  for (const row of targets) {
    const key = `${row.target} ${row.region}`;
    byCell.set(
      key,
      [...(byCell.get(key) ?? []), row].sort((a, b) => (a.kind < b.kind ? -1 : 1)),
    );
  }
  const diagnosisOf = new Map(diagnoses.map((d) => [d.target, d]));
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col' }, 'Target'),
    regions.map((region) => el('th', { scope: 'col' }, region)),
    el('th', { scope: 'col' }, 'Diagnosis'),
  );
  const rows = names.map((name) => {
    const diagnosis = diagnosisOf.get(name);
    const select = () => onSelect(name);
    return el(
      'tr',
      {
        class: name === selected ? 'row selected' : 'row',
        'data-target': name,
        tabindex: 0,
        'aria-selected': name === selected ? 'true' : 'false',
        onClick: select,
        onKeydown: (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            select();
          }
        },
      },
      el('th', { scope: 'row', class: 'target-name' }, name),
      regions.map((region) => cell(byCell.get(`${name} ${region}`) ?? [], region, diagnosis, nowMs)),
      el('td', { class: 'diagnosis' }, diagnosisSummary(diagnosis, nowMs)),
    );
  });
  fill(container, el('table', { class: 'grid', role: 'grid' }, el('thead', {}, head), el('tbody', {}, rows)));
}

function cell(rows, region, diagnosis, nowMs) {
  if (rows.length === 0)
    return el('td', { class: 'cell state-none', 'data-region': region }, el('span', { class: 'muted' }, 'not probed'));
  const states = rows.map((row) => stateOf(row));
  const worst = states.includes('failing') ? 'failing' : states.includes('ok') ? 'ok' : 'none';
  const covered = diagnosis?.status === 'open' && inScope(diagnosis, region);
  return el(
    'td',
    { class: `cell state-${worst}`, 'data-region': region, 'data-state': worst },
    rows.map((row, i) => {
      const stale = row.lastAtMs !== null && nowMs - row.lastAtMs > STALE_MS;
      return el(
        'div',
        { class: `kind-line state-${states[i]}` },
        el('span', { class: 'dot', 'aria-hidden': 'true' }),
        el('span', { class: 'outcome' }, row.lastOutcome ?? 'no attempt'),
        el('span', { class: 'kind' }, row.kind),
        el(
          'span',
          { class: 'stats' },
          `${percent(row.successRatio5m)} · p50 ${rttText(row.rttP50Us)}`,
          stale ? ` · ${agoText(row.lastAtMs, nowMs)}` : '',
        ),
      );
    }),
    covered ? el('div', { class: 'verdict-badge open' }, verdictText(diagnosis.verdict)) : null,
  );
}

function stateOf(row) {
  if (row.lastOutcome === null) return 'none';
  return isAnswered(row.lastOutcome) ? 'ok' : 'failing';
}

// An empty region list means the diagnosis is not tied to a region (e.g. the server itself).
function inScope(diagnosis, region) {
  const regions = diagnosis.scope?.regions ?? [];
  return regions.length === 0 || regions.includes(region);
}

function diagnosisSummary(diagnosis, nowMs) {
  if (!diagnosis) return el('span', { class: 'muted' }, 'none');
  if (diagnosis.status === 'open') {
    const scope = [...(diagnosis.scope?.regions ?? []), ...(diagnosis.scope?.families ?? [])].join(', ');
    return [
      el('span', { class: 'verdict-badge open' }, verdictText(diagnosis.verdict)),
      el('span', { class: 'muted small' }, ` open ${agoText(diagnosis.openedAtMs, nowMs).replace(' ago', '')}`),
      scope ? el('div', { class: 'muted small' }, scope) : null,
    ];
  }
  return [
    el('span', { class: 'verdict-badge resolved' }, verdictText(diagnosis.verdict)),
    el(
      'span',
      { class: 'muted small' },
      ` resolved ${agoText(diagnosis.resolvedAtMs ?? diagnosis.updatedAtMs, nowMs)}`,
    ),
  ];
}
