import { drawBurnDownChart } from './charts.js';
import { durationText, el, fill, percent } from './format.js';

// One card per SLO, kept across refreshes so its chart is fed new data rather than rebuilt.
const cards = new Map();

/**
 * Draws the SLOs of `GET /v1/slo` (an `SloReportList`): objective, SLI, budget left, burn rates
 * and alerts, and the budget burn-down chart. `list` is null when the collector has no SLO
 * report (404) or none is configured.
 */
export function renderSlos(container, { list, selected }) {
  const slos = list?.slos ?? [];
  if (slos.length === 0) {
    cards.clear();
    fill(container, el('p', { class: 'empty' }, 'No SLO configured.'));
    return;
  }
  const keys = new Set();
  const ordered = [...slos].sort((a, b) => (a.target === selected ? -1 : b.target === selected ? 1 : 0));
  const nodes = ordered.map((report) => {
    const key = `${report.target} ${report.windowMs} ${report.objective}`;
    keys.add(key);
    let card = cards.get(key);
    if (!card) {
      const facts = el('div', { class: 'slo-facts' });
      const chart = el('div', { class: 'chart', 'data-chart': 'burn-down', 'data-target': report.target });
      card = { root: el('article', { class: 'slo', 'data-target': report.target }, facts, chart), facts, chart };
      cards.set(key, card);
    }
    card.root.classList.toggle('selected', report.target === selected);
    fill(card.facts, facts(report));
    return card;
  });
  for (const key of [...cards.keys()]) if (!keys.has(key)) cards.delete(key);
  fill(
    container,
    nodes.map((card) => card.root),
  );
  const more = (list.total ?? slos.length) - slos.length;
  if (more > 0)
    container.append(
      el('p', { class: 'muted small' }, `${more.toLocaleString()} more SLOs: synack slo report, or GET /v1/slo`),
    );
  for (const [index, card] of nodes.entries()) drawBurnDownChart(card.chart, ordered[index]);
}

function facts(report) {
  const budget = report.budgetRemaining;
  const budgetClass = budget === null ? '' : budget < 0 ? 'bad' : budget < 0.25 ? 'warn' : 'ok';
  const { overall } = report;
  const burn = report.burnRates
    .map((b) => `${durationText(b.windowMs)}: ${b.rate === null ? '–' : `${b.rate.toFixed(2)}×`}`)
    .join(' · ');
  return [
    el(
      'header',
      { class: 'slo-head' },
      el('h3', {}, report.target),
      report.group ? el('span', { class: 'muted small' }, `group ${report.group}`) : null,
      el(
        'span',
        { class: 'alerts' },
        report.alerts.map((alert) =>
          el(
            'span',
            {
              class: `alert ${alert.firing ? 'firing' : 'quiet'}`,
              title: `burn ${fmtBurn(alert.longBurn)} over ${durationText(alert.longMs)}, ${fmtBurn(alert.shortBurn)} over ${durationText(alert.shortMs)}; fires above ${alert.factor}×`,
            },
            `${alert.severity} ${alert.firing ? 'firing' : 'ok'}`,
          ),
        ),
      ),
    ),
    el(
      'dl',
      {},
      fact('Objective', `${percent(report.objective)} over ${durationText(report.windowMs)}`),
      fact('Good attempt', `handshake within ${report.thresholdMs} ms`),
      fact(
        'SLI',
        `${percent(overall.ratio)} (${overall.good.toLocaleString()} of ${overall.total.toLocaleString()}${
          overall.coverage < 0.999 ? `, ${percent(overall.coverage)} of window covered` : ''
        })`,
      ),
      fact('Budget left', budget === null ? '–' : percent(budget), budgetClass),
      fact('Excluded', excludedText(report)),
      fact('Burn rate', burn || '–', '', 'wide'),
    ),
  ];
}

/** Attempts left out of the SLO because their runner was failing its self-check, per region. */
function excludedText(report) {
  const { excluded } = report.overall;
  if (excluded === 0) return 'none';
  const regions = Object.entries(report.byRegion)
    .filter(([, w]) => w.excluded > 0)
    .map(([region, w]) => `${region} ${w.excluded.toLocaleString()}`)
    .join(', ');
  return `${excluded.toLocaleString()} attempts, runner failing its self-check${regions ? ` (${regions})` : ''}`;
}

function fact(name, value, className = '', wrapperClass = '') {
  return el('div', { class: wrapperClass || null }, el('dt', {}, name), el('dd', { class: className || null }, value));
}

function fmtBurn(rate) {
  return rate === null ? '–' : `${rate.toFixed(2)}×`;
}
