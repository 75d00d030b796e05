// The dashboard's controller: reads the collector's API, draws the grid, the selected target's
// charts and diagnosis timeline and the SLOs, and refreshes every 10 seconds. The selection and
// window live in the URL fragment (#target=web&window=1h), so a view can be shared.
import { drawLatencyChart, drawSuccessChart } from './charts.js';
import { clockText, durationText, el, fill } from './format.js';
import { renderGrid } from './grid.js';
import { renderSlos } from './slo.js';
import { renderTimeline } from './timeline.js';

const REFRESH_MS = 10_000;
const WINDOWS = ['1h', '3h', '24h', '7d', '30d'];
const byId = (id) => document.getElementById(id);

const fragment = new URLSearchParams(location.hash.slice(1));
const state = {
  window: WINDOWS.includes(fragment.get('window')) ? fragment.get('window') : '1h',
  selected: fragment.get('target'),
  targets: [],
  diagnoses: [],
  slo: null,
  timer: undefined,
  refreshing: null,
};

// A collector with API tokens wants one with the read scope. It is asked for on the first 401 and
// kept for this tab only (sessionStorage), never in the URL, where it would end up in history and logs.
const TOKEN_KEY = 'synack-api-token';

class Unauthorized extends Error {}

/** GET a JSON document from the collector; `null` for a 404 when `optional`. Throws with the API's message. */
async function getJson(path, optional = false) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (response.status === 401)
    throw new Unauthorized(token ? 'the API token was refused' : 'this collector wants an API token');
  if (optional && response.status === 404) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${path.split('?')[0]}: ${body?.error?.message ?? `HTTP ${response.status}`}`);
  return body;
}

async function refresh() {
  if (state.refreshing) return state.refreshing;
  clearTimeout(state.timer);
  state.refreshing = (async () => {
    const problems = [];
    const [targets, diagnoses, slo] = await Promise.allSettled([
      getJson('/v1/targets'),
      getJson('/v1/diagnoses'),
      getJson('/v1/slo', true),
    ]);
    if (targets.status === 'fulfilled') state.targets = targets.value.targets;
    else problems.push(targets.reason);
    if (diagnoses.status === 'fulfilled') state.diagnoses = diagnoses.value.current;
    else problems.push(diagnoses.reason);
    if (slo.status === 'fulfilled') state.slo = await withBurnDowns(slo.value, problems);
    else problems.push(slo.reason);
    const refused = problems.find((problem) => problem instanceof Unauthorized);
    if (refused) {
      askForToken(refused.message);
      return;
    }
    if (!state.selected || !knownTargets().includes(state.selected)) state.selected = knownTargets()[0] ?? null;
    renderOverview();
    problems.push(...(await refreshDetail()));
    showProblems(problems);
    byId('refreshed').textContent =
      `${problems.length ? 'partly updated' : 'updated'} ${clockText(Date.now())} · every ${REFRESH_MS / 1000} s`;
    document.body.dataset.state = 'ready';
  })();
  try {
    await state.refreshing;
  } finally {
    state.refreshing = null;
    // Asking for a token: no more refused requests until one is given.
    if (document.body.dataset.state !== 'token') state.timer = setTimeout(refresh, REFRESH_MS);
  }
}

// SLO cards drawn at most: the selected target's, then the ones with the least budget left. The
// list (`GET /v1/slo`) comes without burn-downs; each card's is read on its own.
const SLO_CARDS = 6;

async function withBurnDowns(list, problems) {
  if (!list) return null;
  const budget = (r) => (r.budgetRemaining === null ? Number.POSITIVE_INFINITY : r.budgetRemaining);
  const shown = [...list.slos]
    .sort((a, b) => (a.target === state.selected ? -1 : b.target === state.selected ? 1 : budget(a) - budget(b)))
    .slice(0, SLO_CARDS);
  const detailed = await Promise.all(
    shown.map((r) =>
      getJson(`/v1/slo/${encodeURIComponent(r.target)}`).catch((error) => {
        problems.push(error);
        return r;
      }),
    ),
  );
  return { ...list, slos: detailed, total: list.slos.length };
}

function knownTargets() {
  return [...new Set([...state.targets.map((t) => t.target), ...state.diagnoses.map((d) => d.target)])].sort();
}

function renderOverview() {
  const nowMs = Date.now();
  renderGrid(byId('grid'), {
    targets: state.targets,
    diagnoses: state.diagnoses,
    selected: state.selected,
    nowMs,
    onSelect: select,
  });
  renderSlos(byId('slos'), { list: state.slo, selected: state.selected });
}

/** Loads and draws the selected target's series and diagnoses; returns what failed. */
async function refreshDetail() {
  const target = state.selected;
  const detail = byId('detail');
  if (!target) {
    detail.hidden = true;
    return [];
  }
  detail.hidden = false;
  byId('detail-title').textContent = target;
  const name = encodeURIComponent(target);
  const [series, diagnoses] = await Promise.allSettled([
    getJson(`/v1/series?target=${name}&window=${state.window}`),
    getJson(`/v1/diagnoses?target=${name}`),
  ]);
  // The user may have picked another target while these were in flight.
  if (target !== state.selected) return [];
  const problems = [];
  if (series.status === 'fulfilled') {
    const data = series.value;
    const attempts = data.series.reduce((n, s) => n + s.attempts.reduce((a, b) => a + b, 0), 0);
    byId('detail-meta').textContent =
      `last ${durationText(data.windowMs)} in ${durationText(data.stepMs)} buckets · ` +
      `${attempts.toLocaleString()} attempts · ${data.series.length} series`;
    drawSuccessChart(byId('chart-success'), data);
    drawLatencyChart(byId('chart-latency'), data);
  } else {
    problems.push(series.reason);
  }
  if (diagnoses.status === 'fulfilled') {
    renderTimeline(byId('timeline'), { ...diagnoses.value, nowMs: Date.now() });
  } else {
    problems.push(diagnoses.reason);
  }
  return problems;
}

function select(target) {
  if (target === state.selected) return;
  state.selected = target;
  remember();
  renderOverview();
  refreshDetail().then(showProblems);
}

function remember() {
  const params = new URLSearchParams({ target: state.selected ?? '', window: state.window });
  history.replaceState(null, '', `#${params}`);
}

function showProblems(problems) {
  const box = byId('problem');
  box.hidden = problems.length === 0;
  fill(
    box,
    problems.map((p) => el('div', {}, `Could not load ${p instanceof Error ? p.message : String(p)}`)),
  );
}

const windowSelect = byId('window');
windowSelect.value = state.window;
windowSelect.addEventListener('change', () => {
  state.window = windowSelect.value;
  remember();
  refreshDetail().then(showProblems);
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});
refresh();

function askForToken(why) {
  const form = byId('token-form');
  byId('token-why').textContent = `${why}: paste a token with the read scope (synack token create --scopes read).`;
  form.hidden = false;
  document.body.dataset.state = 'token';
  byId('token').focus();
}

byId('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = byId('token').value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  byId('token').value = '';
  byId('token-form').hidden = true;
  void refresh();
});
