// Draws the scaling curves of docs/bench/scaling.svg as a self-contained SVG: a few panels side
// by side, each with lines and markers per series, a log x axis (the points grow ×10, ×5), a
// linear y axis from 0, labels with units and a legend. Written here rather than taken from a
// charting library so `npm run bench` needs nothing installed and the file diffs as text; the
// background is white and the colours are fixed so it reads the same on GitHub's light and dark
// themes. Pure: data in, a string out (test/unit/svg-chart.test.ts).

const PANEL_W = 400;
const PANEL_H = 300;
const MARGIN = { left: 62, right: 28, top: 40, bottom: 48 };
const LEGEND_LINE_H = 16;
const TITLE_H = 34;
// distinguishable for colour-blind readers (Okabe–Ito), each also with its own dash
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '4 4', '1 2', '10 4'];

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

/** A "nice" upper bound and step for a linear axis from 0 to `max`: 1, 2 or 5 × 10^k per tick. */
export function niceTicks(max, count = 5) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const fmt = (v) => (v >= 1000 ? v.toLocaleString('en-US') : String(Number(v.toPrecision(4))));

/** One panel at (x0, y0): axes, ticks, the series, its legend below the plot. */
function renderPanel(panel, x0, y0) {
  const series = panel.series.filter((s) => s.points.length > 0);
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const yMax = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const yTicks = niceTicks(yMax);
  const yTop = yTicks[yTicks.length - 1];
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const left = x0 + MARGIN.left;
  const top = y0 + MARGIN.top;
  const lo = Math.log10(xs[0] ?? 1);
  const hi = Math.log10(xs[xs.length - 1] ?? 10);
  // a single x point sits in the middle
  const sx = (x) => left + (hi > lo ? ((Math.log10(x) - lo) / (hi - lo)) * plotW : plotW / 2);
  const sy = (y) => top + plotH - (y / yTop) * plotH;
  const out = [];
  out.push(`<g class="panel">`);
  out.push(`<text x="${x0 + PANEL_W / 2}" y="${y0 + 22}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${fmt(t)}</text>`);
  }
  for (const x of xs) {
    const px = sx(x).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#333"/>`);
    out.push(`<text x="${px}" y="${top + plotH + 16}" text-anchor="middle" font-size="11">${fmt(x)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<text class="x-label" x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle" font-size="12">${escapeXml(panel.xLabel)}</text>`);
  out.push(`<text class="y-label" transform="translate(${x0 + 16} ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(panel.yLabel)}</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = DASHES[i % DASHES.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`);
    }
    out.push('</g>');
  });
  // the legend, one row per series, under the x label
  const ly = y0 + PANEL_H + 4;
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = DASHES[i % DASHES.length];
    const y = ly + i * LEGEND_LINE_H;
    out.push(`<line x1="${left}" x2="${left + 24}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<text class="legend" x="${left + 30}" y="${y}" dominant-baseline="middle" font-size="12">${escapeXml(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/**
 * An SVG document with the panels side by side.
 * chart: { title, note?, panels: [{ title, xLabel, yLabel, series: [{ name, points: [[x, y], …] }] }] }
 * x values must be > 0 (the x axis is logarithmic).
 */
export function renderChart(chart) {
  const legendRows = Math.max(0, ...chart.panels.map((p) => p.series.filter((s) => s.points.length > 0).length));
  const width = PANEL_W * chart.panels.length;
  const height = TITLE_H + PANEL_H + legendRows * LEGEND_LINE_H + (chart.note ? 28 : 12);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" fill="#222">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  chart.panels.forEach((panel, i) => parts.push(renderPanel(panel, i * PANEL_W, TITLE_H)));
  if (chart.note) parts.push(`<text x="8" y="${height - 10}" font-size="11" fill="#555">${escapeXml(chart.note)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
