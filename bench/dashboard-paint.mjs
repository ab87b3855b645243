#!/usr/bin/env node
// The dashboard's first paint with 200 services (goal: under 1 s): a temporary home with 200
// cheap services (`sleep`, no ports, `berth run --no-wait` a few at a time, `berth rm` after), the page opened in headless
// Chromium (playwright-core, as test/helpers/browser.ts launches it) in a fresh context each run,
// timed in the page from the navigation's start to the services tables holding 200 rows, beside
// the browser's first-contentful-paint, and the /api documents the first view waits for.
// Prints one JSON document; run by bench/run.mjs. Never part of npm test (no timed assertions).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/bundle/main.js');
const SERVICES = Number(process.env.BENCH_SERVICES ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const PARALLEL = 8;
const BROWSERS = [process.env.BERTH_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);

const work = mkdtempSync(join(tmpdir(), 'berth-bench-paint-'));
const env = { ...process.env, BERTH_HOME: join(work, 'home'), BERTH_SESSION: 'bench' };
const berth = (args, opts = {}) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
};
const names = Array.from({ length: SERVICES }, (_, i) => `s${String(i).padStart(3, '0')}`);
const berthAsync = (args) => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, BERTH_PROJECT: 'bench' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`berth ${args.join(' ')} → ${code}\n${err}`))));
});
/** fn over items, at most PARALLEL at a time */
async function eachLimited(items, fn) {
  const queue = [...items];
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (queue.length > 0) await fn(queue.shift());
  }));
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (x) => Math.round(x * 10) / 10;

function browserPath() {
  for (const p of BROWSERS) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not this one
    }
  }
  return undefined;
}

// Installed before the page's own script: notes when the services tables first hold all the
// rows (performance.now() counts from the navigation's start, the token's redirect included).
const watchRows = (want) => {
  const check = () => {
    if (window.__rowsAt === undefined && document.querySelectorAll('#services tbody tr').length >= want) window.__rowsAt = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
};

async function timeApi(url, paths) {
  const first = await fetch(url, { redirect: 'manual' });
  const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const origin = new URL(url).origin;
  const out = {};
  for (const path of paths) {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await fetch(`${origin}${path}`, { headers: { cookie } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${path} → ${r.status}`);
      times.push(performance.now() - t0);
    }
    out[path] = round(median(times));
  }
  return out;
}

let browser;
try {
  const path = browserPath();
  if (!path) {
    console.log(JSON.stringify({ skipped: `no Chromium found (looked for ${BROWSERS.join(', ')})` }));
    process.exit(0);
  }
  berth(['daemon', 'start']);
  // `berth run --no-wait`, a few at a time: `berth up` waits for each to settle, one by one
  const setup0 = performance.now();
  await eachLimited(names, (name) => berthAsync(['run', name, '--no-wait', '--', 'sleep', '3600']));
  const setupMs = round(performance.now() - setup0);
  const ps = JSON.parse(berth(['ps', '--all', '--json']));
  const running = ps.services.filter((s) => s.pid !== null).length;
  if (ps.services.length !== SERVICES) throw new Error(`berth ps lists ${ps.services.length} services, not ${SERVICES}`);

  // each URL's code is single-use (decision 0025): a fresh one for every page and for the API timing
  const freshUrl = () => JSON.parse(berth(['dashboard', '--json'])).url;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: path, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  const rows = [];
  const fcp = [];
  const wall = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      await page.addInitScript(watchRows, SERVICES);
      const url = freshUrl();
      const t0 = performance.now();
      await page.goto(url);
      await page.waitForFunction(() => window.__rowsAt !== undefined, undefined, { timeout: 30_000 });
      wall.push(performance.now() - t0);
      const m = await page.evaluate(() => ({ rowsAt: window.__rowsAt, fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null }));
      rows.push(m.rowsAt);
      if (m.fcp !== null) fcp.push(m.fcp);
    } finally {
      await context.close();
    }
  }
  const api = await timeApi(freshUrl(), ['/', '/app.js', '/api/ps', '/api/doctor']);
  console.log(JSON.stringify({
    services: SERVICES,
    running,
    runs: RUNS,
    setupMs,
    rowsMedianMs: round(median(rows)),
    rowsMaxMs: round(Math.max(...rows)),
    fcpMedianMs: fcp.length ? round(median(fcp)) : null,
    wallMedianMs: round(median(wall)),
    samplesRowsMs: rows.map(round),
    apiMedianMs: api,
  }));
} finally {
  await browser?.close();
  await eachLimited(names, (name) => berthAsync(['rm', name]).catch(() => {}));
  spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  // services of this home that a failed step may have left: stop them by pid
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`BERTH_HOME=${env.BERTH_HOME}\0`)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone, or not ours to read
    }
  }
  rmSync(work, { recursive: true, force: true });
}
