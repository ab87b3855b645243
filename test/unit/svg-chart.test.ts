// The scaling chart's renderer (bench/svg-chart.mjs), fed fixed series: the SVG it writes is one
// well-formed document with a white background, every series drawn and named in the legend, the
// axis labels and the x points as tick labels, and text escaped. No timing: the figures are the
// benchmark's business.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, niceTicks, renderChart } from '../../bench/svg-chart.mjs';

const chart = {
  title: 'berth at scale',
  note: 'fixed data',
  panels: [
    {
      title: 'Who holds a port',
      xLabel: 'extra processes (log)',
      yLabel: 'wall time (ms)',
      series: [
        { name: 'berth who PORT', points: [[100, 60], [1000, 90], [5000, 210]] as Array<[number, number]> },
        { name: "ss -Htlnp 'sport = :P'", points: [[100, 8], [1000, 30], [5000, 120]] as Array<[number, number]> },
        { name: 'lsof <FILE> & co', points: [[100, 40], [1000, 200], [5000, 900]] as Array<[number, number]> },
      ],
    },
    {
      title: 'Daemon memory',
      xLabel: 'services (log)',
      yLabel: 'RSS (MiB)',
      series: [{ name: 'berthd RSS', points: [[20, 80], [200, 84], [1000, 95]] as Array<[number, number]> }],
    },
  ],
};

/** The elements of an SVG string, checked for balance: every open tag closed in order. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes ${stack.at(-1)}`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'every element is closed');
  // no raw ampersand outside an entity
  assert.doesNotMatch(svg, /&(?!(amp|lt|gt|quot|apos);)/);
}

test('renderChart writes one well-formed SVG document on a white background', () => {
  const svg = renderChart(chart);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.match(svg, /<rect width="100%" height="100%" fill="#ffffff"\/>/);
  assertWellFormed(svg);
});

test('every series is drawn with all its points and named in the legend, text escaped', () => {
  const svg = renderChart(chart);
  for (const panel of chart.panels) {
    for (const s of panel.series) {
      const group = svg.match(new RegExp(`<g class="series" data-name="${escapeXml(s.name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">([\\s\\S]*?)</g>`));
      assert.ok(group, `series ${s.name} drawn`);
      const polyline = group[1]!.match(/<polyline points="([^"]+)"/);
      assert.equal(polyline?.[1]!.split(' ').length, s.points.length);
      assert.equal(group[1]!.match(/<circle /g)?.length, s.points.length);
      assert.ok(svg.includes(`class="legend" x="`) && svg.includes(`>${escapeXml(s.name)}</text>`), `legend names ${s.name}`);
    }
  }
  assert.ok(svg.includes('lsof &lt;FILE&gt; &amp; co'));
  assert.ok(svg.includes('ss -Htlnp &apos;sport = :P&apos;'));
});

test('the axes carry their labels, units and the x points as ticks', () => {
  const svg = renderChart(chart);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const label of ['extra processes (log)', 'wall time (ms)', 'services (log)', 'RSS (MiB)', 'Who holds a port', 'Daemon memory', 'berth at scale', 'fixed data']) {
    assert.ok(texts.includes(label), `text "${label}" in ${texts.join(' | ')}`);
  }
  for (const tick of ['100', '1,000', '5,000', '20', '200']) assert.ok(texts.includes(tick), `x tick ${tick}`);
  // the y axis reaches past the largest value (900 ms) with round steps
  assert.ok(texts.includes('1,000'));
});

test('niceTicks covers the maximum in 1, 2 or 5 × 10^k steps from 0', () => {
  assert.deepEqual(niceTicks(900), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(niceTicks(95), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  for (const max of [0.3, 7, 123, 4567, 98765]) {
    const t = niceTicks(max);
    assert.equal(t[0], 0);
    assert.ok(t.at(-1)! >= max);
  }
});

test('a series with no points is left out, and a single x point is drawn', () => {
  const svg = renderChart({ title: 't', panels: [{ title: 'p', xLabel: 'x', yLabel: 'y', series: [{ name: 'empty', points: [] }, { name: 'one', points: [[20, 5]] }] }] });
  assert.ok(!svg.includes('data-name="empty"'));
  assert.match(svg, /data-name="one"/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
  assertWellFormed(svg);
});
