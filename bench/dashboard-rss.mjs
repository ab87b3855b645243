#!/usr/bin/env node
// The daemon's RSS with the dashboard never opened, then opened and used (each /api document
// fetched once, a change stream open): the page's code is loaded only on the first
// `berth dashboard`, so a daemon whose page is never opened must not grow (goal: < 5 MiB over
// the daemon before the dashboard existed). Prints one JSON document; run by bench/run.mjs.
// BENCH_BASE_ROOT=<a built checkout of an earlier commit> also measures that build's daemon the
// same way (fresh home, started, settled, RSS), interleaved with this one's, RUNS times each:
// how docs/benchmarks.md compares against b20e6fd, the daemon before the dashboard.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/bundle/main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'berth-bench-dash-'));
const env = { ...process.env, BERTH_HOME: join(work, 'home'), BERTH_SESSION: 'bench' };
const berth = (...args) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const rssKiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s*(\d+)/)[1]);
// the daemon settles (adoption, the first GC) before it is measured
const settle = () => new Promise((r) => setTimeout(r, 1500));

/** A fresh daemon of the build at `root`, in a home of its own: its RSS once settled, never opened. */
async function idleRssKiB(root, i) {
  const cli = join(root, 'dist/bundle/main.js');
  const home = { ...env, BERTH_HOME: join(work, `idle-${i}-${root === ROOT ? 'this' : 'base'}`) };
  const r = spawnSync(process.execPath, [cli, 'daemon', 'start', '--json'], { env: home, encoding: 'utf8' });
  try {
    if (r.status !== 0) throw new Error(`${cli} daemon start → ${r.status}\n${r.stdout}${r.stderr}`);
    const { pid } = JSON.parse(r.stdout);
    await settle();
    return rssKiB(pid);
  } finally {
    spawnSync(process.execPath, [cli, 'daemon', 'stop'], { env: home, stdio: 'ignore' });
  }
}

/** This build's idle daemon beside the base build's, interleaved; medians in KiB. */
async function againstBase(base) {
  const mine = [];
  const theirs = [];
  for (let i = 0; i < RUNS; i++) {
    theirs.push(await idleRssKiB(base, i));
    mine.push(await idleRssKiB(ROOT, i));
  }
  const baseNeverOpenedKiB = median(theirs);
  const thisNeverOpenedKiB = median(mine);
  return { base, runs: RUNS, baseNeverOpenedKiB, thisNeverOpenedKiB, growthOverBaseKiB: thisNeverOpenedKiB - baseNeverOpenedKiB, samplesKiB: { base: theirs, this: mine } };
}

try {
  const base = process.env.BENCH_BASE_ROOT ? await againstBase(process.env.BENCH_BASE_ROOT) : undefined;
  const pid = JSON.parse(berth('daemon', 'start', '--json')).pid;
  await settle();
  const neverOpenedKiB = rssKiB(pid);
  const { url } = JSON.parse(berth('dashboard', '--json'));
  const first = await fetch(url, { redirect: 'manual' });
  const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const origin = new URL(url).origin;
  const stream = await fetch(`${origin}/api/stream`, { headers: { cookie } });
  for (const path of ['/', '/api/ps', '/api/ports', '/api/locks', '/api/orphans', '/api/doctor', '/api/events']) {
    const r = await fetch(`${origin}${path}`, { headers: { cookie } });
    if (r.status !== 200) throw new Error(`${path} → ${r.status}`);
    await r.arrayBuffer();
  }
  await settle();
  const openedKiB = rssKiB(pid);
  await stream.body.cancel();
  console.log(JSON.stringify({ neverOpenedKiB, openedKiB, growthKiB: openedKiB - neverOpenedKiB, ...(base ? { againstBase: base } : {}) }));
} finally {
  spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
