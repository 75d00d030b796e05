// Time-series charts drawn with uPlot (served from the collector, loaded before this module as
// the global `uPlot`). Each chart lives in a container element; redrawing with the same series
// feeds new data to the same plot, so the legend and zoom survive the 10-second refresh.

const HEIGHT = 240;
const PALETTE = ['#2563eb', '#ea580c', '#059669', '#c026d3', '#0891b2', '#ca8a04', '#dc2626', '#4f46e5'];
const AXIS = { stroke: '#475569', grid: { stroke: '#e2e8f0', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 } };
const plots = new WeakMap();

/** The colour of the `index`th series (a region and probe kind). */
export function seriesColor(index) {
  return PALETTE[index % PALETTE.length];
}

/** Success ratio (%) per bucket, one line per region and kind. `data` is a `GET /v1/series` answer. */
export function drawSuccessChart(container, data) {
  const series = data.series.map((s, i) => ({
    label: `${s.region} ${s.kind}`,
    stroke: seriesColor(i),
    width: 2,
    value: (_u, v) => (v === null || v === undefined ? '–' : `${v.toFixed(1)}%`),
  }));
  const columns = data.series.map((s) => s.successRatio.map((r) => (r === null ? null : r * 100)));
  draw(container, keyOf(series), [data.bucketStartMs, ...columns], () => ({
    scales: {
      x: { time: true },
      y: {
        range: (_u, min) => [min === null ? 0 : Math.max(0, Math.floor(Math.min(min, 95) / 5) * 5), 100],
      },
    },
    series: [{ label: 'time' }, ...series],
    axes: [{ ...AXIS }, { ...AXIS, size: 48, values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
  }));
}

/**
 * Handshake RTT percentiles (ms, log scale) per bucket: for each region and kind, p50 (solid),
 * p90 (dashed) and p99 (dotted) in the series' colour.
 */
export function drawLatencyChart(container, data) {
  const series = [];
  const columns = [];
  data.series.forEach((s, i) => {
    const styles = [
      ['p50', s.rttP50Us, 2, undefined],
      ['p90', s.rttP90Us, 1.5, [6, 4]],
      ['p99', s.rttP99Us, 1.5, [2, 3]],
    ];
    for (const [name, values, width, dash] of styles) {
      series.push({
        label: `${s.region} ${s.kind} ${name}`,
        stroke: seriesColor(i),
        width,
        dash,
        value: (_u, v) => (v === null || v === undefined ? '–' : msText(v)),
      });
      columns.push(values.map((us) => (us === null ? null : us / 1000)));
    }
  });
  draw(container, keyOf(series), [data.bucketStartMs, ...columns], () => ({
    scales: { x: { time: true }, y: { distr: 3, log: 10 } },
    series: [{ label: 'time' }, ...series],
    axes: [{ ...AXIS }, { ...AXIS, size: 64, values: (_u, ticks) => ticks.map(msText) }],
  }));
}

/** An SLO's budget remaining (%) over its window, with the 0 line (budget spent) marked in red. */
export function drawBurnDownChart(container, report) {
  const times = report.burnDown.map((p) => p.atMs);
  const budget = report.burnDown.map((p) => (p.budgetRemaining === null ? null : p.budgetRemaining * 100));
  const series = [
    {
      label: 'budget remaining',
      stroke: '#2563eb',
      fill: 'rgba(37, 99, 235, 0.08)',
      fillTo: 0,
      width: 2,
      value: (_u, v) => (v === null || v === undefined ? '–' : `${v.toFixed(1)}%`),
    },
  ];
  draw(container, 'burn-down', [times, budget], () => ({
    scales: {
      x: { time: true },
      y: { range: (_u, min, max) => [Math.min(0, min ?? 0) - 5, Math.max(100, max ?? 100)] },
    },
    series: [{ label: 'time' }, ...series],
    axes: [{ ...AXIS }, { ...AXIS, size: 52, values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
    hooks: { draw: [markZero] },
  }));
}

function markZero(u) {
  const y = Math.round(u.valToPos(0, 'y', true));
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = '#dc2626';
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(bbox.left, y);
  ctx.lineTo(bbox.left + bbox.width, y);
  ctx.stroke();
  // uPlot leaves the axis labels' alignment on the context.
  ctx.setLineDash([]);
  ctx.fillStyle = '#dc2626';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.fillText('budget spent', bbox.left + bbox.width - 4 * devicePixelRatio, y - 3 * devicePixelRatio);
  ctx.restore();
}

function draw(container, key, data, options) {
  const uPlot = globalThis.uPlot;
  const entry = plots.get(container);
  if (entry && entry.key === key) {
    entry.plot.setData(data);
  } else {
    entry?.plot.destroy();
    const plot = new uPlot(
      { ms: 1, width: widthOf(container), height: HEIGHT, cursor: { drag: { x: true, y: false } }, ...options() },
      data,
      container,
    );
    plots.set(container, { plot, key, width: widthOf(container) });
    if (!entry) followWidth(container);
  }
  container.dataset.points = String(
    data.slice(1).reduce((n, column) => n + column.filter((v) => v !== null).length, 0),
  );
}

function followWidth(container) {
  new ResizeObserver(() => {
    const entry = plots.get(container);
    const width = widthOf(container);
    if (!entry || entry.width === width) return;
    entry.width = width;
    entry.plot.setSize({ width, height: HEIGHT });
  }).observe(container);
}

function widthOf(container) {
  return Math.max(280, Math.floor(container.clientWidth));
}

function keyOf(series) {
  return series.map((s) => s.label).join('|');
}

function msText(ms) {
  // uPlot passes null for the log axis' unlabelled ticks.
  if (ms === null || ms === undefined) return '';
  if (ms >= 1000) return `${+(ms / 1000).toFixed(2)} s`;
  if (ms < 1) return `${+ms.toFixed(2)} ms`;
  if (ms < 10) return `${+ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}
