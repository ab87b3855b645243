#!/usr/bin/env node
// npm run bench: berth beside the tools users would pick instead, measured in one run,
// interleaved, at least 10 runs each; medians and ratios to stdout and bench/results/*.json.
// Competitors (pm2) are installed into a temporary folder for this run only. Everything
// started here is stopped by pid at the end. Never part of npm test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPm2 } from './competitors.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/bundle/main.js');
const LISTEN = join(ROOT, 'test/fixtures/listen.mjs');
const HOLD_SQLITE = join(ROOT, 'test/fixtures/hold-sqlite.mjs');
const LEASE_MANY = join(ROOT, 'test/fixtures/lease-many.mjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const node = process.execPath;

const work = mkdtempSync(join(tmpdir(), 'berth-bench-'));
const env = { ...process.env, BERTH_HOME: join(work, 'home'), BERTH_SESSION: 'bench', PM2_HOME: join(work, 'pm2') };
const started = [];
const results = { date: new Date().toISOString(), machine: machine(), runs: RUNS, benchmarks: {} };

function machine() {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '?';
  const mem = readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s*(\d+)/)?.[1];
  return { cpu, cores: readFileSync('/proc/cpuinfo', 'utf8').split('processor').length - 1, memGiB: Math.round(Number(mem) / 1048576), node: process.version, kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (x) => Math.round(x * 10) / 10;

function wall(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} → ${r.status}\n${r.stdout}\n${r.stderr}`);
  return { ms, out: r.stdout };
}

/** Interleaved: run 1 of each, run 2 of each, …; the median of each. */
function compare(name, entries) {
  const times = Object.fromEntries(Object.keys(entries).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, [cmd, args, opts]] of Object.entries(entries)) times[k].push(wall(cmd, args, opts).ms);
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(median(v))]));
  results.benchmarks[name] = { medianMs: medians, samplesMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map(round)])) };
  console.log(`${name}: ${Object.entries(medians).map(([k, v]) => `${k} ${v} ms`).join(' · ')}`);
  return medians;
}

function startBg(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { env, stdio: 'ignore', ...opts });
  started.push(child.pid);
  return child;
}

async function waitFor(probe, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rssKiB(pid) {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s*(\d+)/)[1]);
}

function berth(...args) {
  return wall(node, [CLI, ...args]);
}

async function extraProcesses(total) {
  while (started.length < total) startBg('sleep', ['3600']);
}

async function main() {
  mkdirSync(env.BERTH_HOME, { recursive: true });
  // the competitors, for this run only
  const pm2 = installPm2(join(work, 'competitors'));
  if (!pm2) console.log('pm2 could not be installed: the pm2 comparisons are skipped');
  const has = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;

  // who-port and who-file, with 100 and then 2,000 extra processes on the machine
  const listener = startBg(node, [LISTEN, '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise((r) => listener.stdout.on('data', (d) => r(Number(/listening (\d+)/.exec(String(d))?.[1]))));
  const db = join(work, 'app.db');
  const writer = startBg(node, ['--disable-warning=ExperimentalWarning', HOLD_SQLITE, db], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => writer.stdout.on('data', r));
  for (const procs of [100, 2000]) {
    await extraProcesses(procs);
    const entries = { berth: [node, [CLI, 'who', String(port)]] };
    if (has('lsof')) entries.lsof = ['lsof', [`-iTCP:${port}`, '-sTCP:LISTEN'], { allowFail: true }];
    if (has('ss')) entries.ss = ['ss', ['-Htlnp', `sport = :${port}`]];
    if (has('fuser')) entries.fuser = ['fuser', [`${port}/tcp`], { allowFail: true }];
    const m = compare(`who-port, ${procs} extra processes`, entries);
    if (m.lsof) results.benchmarks[`who-port, ${procs} extra processes`].ratioBerthToLsof = round(m.berth / m.lsof * 100) / 100;
    const f = { berth: [node, [CLI, 'who', db]] };
    if (has('lsof')) f.lsof = ['lsof', [db], { allowFail: true }];
    const mf = compare(`who-file, ${procs} extra processes`, f);
    if (mf.lsof) results.benchmarks[`who-file, ${procs} extra processes`].ratioBerthToLsof = round(mf.berth / mf.lsof * 100) / 100;
  }
  // drop the extra sleeps
  for (const pid of started.splice(2)) try { process.kill(pid, 'SIGTERM'); } catch {}

  // start: 50 one after another
  const t50 = Date.now();
  for (let i = 0; i < 50; i++) berth('run', `s${i}`, '--no-wait', '--', 'sleep', '3600');
  const berthStart = Date.now() - t50;
  let pm2Start = null;
  if (pm2) {
    wall(pm2, ['ping']);
    const t = Date.now();
    for (let i = 0; i < 50; i++) wall(pm2, ['start', 'sleep', '--name', `p${i}`, '--', '3600']);
    pm2Start = Date.now() - t;
  }
  results.benchmarks['start 50, one after another'] = { berthMs: berthStart, pm2Ms: pm2Start, ratio: pm2Start ? round((berthStart / pm2Start) * 100) / 100 : null };
  console.log(`start 50: berth ${berthStart} ms · pm2 ${pm2Start ?? '-'} ms`);

  // ps and memory with 20 services (stop 30 of each), then 200 for berth
  for (let i = 20; i < 50; i++) berth('rm', `s${i}`);
  if (pm2) for (let i = 20; i < 50; i++) wall(pm2, ['delete', `p${i}`]);
  await new Promise((r) => setTimeout(r, 2000));
  const daemonPid = JSON.parse(berth('daemon', 'status', '--json').out).pid;
  const pm2Pid = pm2 ? Number(readFileSync(join(env.PM2_HOME, 'pm2.pid'), 'utf8')) : null;
  const ps20 = compare('ps with 20 services', { berth: [node, [CLI, 'ps', '--json']], ...(pm2 ? { 'pm2 jlist': [pm2, ['jlist']] } : {}) });
  results.benchmarks['ps with 20 services'].ratio = pm2 ? round((ps20.berth / ps20['pm2 jlist']) * 100) / 100 : null;
  const mem20 = { berthdKiB: rssKiB(daemonPid), pm2DaemonKiB: pm2Pid ? rssKiB(pm2Pid) : null };
  mem20.ratio = mem20.pm2DaemonKiB ? round((mem20.berthdKiB / mem20.pm2DaemonKiB) * 100) / 100 : null;
  results.benchmarks['daemon RSS with 20 services'] = mem20;
  console.log(`daemon RSS with 20: berthd ${mem20.berthdKiB} KiB · pm2 ${mem20.pm2DaemonKiB ?? '-'} KiB`);
  if (pm2) wall(pm2, ['kill']);
  for (let i = 20; i < 200; i++) berth('run', `s${i}`, '--no-wait', '--', 'sleep', '3600');
  await new Promise((r) => setTimeout(r, 2000));
  compare('ps with 200 services', { berth: [node, [CLI, 'ps', '--json']] });
  results.benchmarks['daemon RSS with 200 services'] = { berthdKiB: rssKiB(daemonPid) };
  console.log(`daemon RSS with 200: berthd ${rssKiB(daemonPid)} KiB`);
  for (let i = 0; i < 200; i++) berth('rm', `s${i}`);

  // recovery: an orphan of the same service on the port; a stranger with on_conflict: evict
  // (bench/recovery.mjs: the same loop as before, in homes of its own, with where the time goes)
  berth('daemon', 'stop');
  const rec = spawnSync(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/recovery.mjs')], { env: { ...process.env, BENCH_RUNS: String(RUNS) }, encoding: 'utf8' });
  if (rec.status !== 0) throw new Error(`bench/recovery.mjs → ${rec.status}\n${rec.stderr}`);
  const r = JSON.parse(rec.stdout);
  results.benchmarks.recovery = r;
  console.log(`recovery: up ${r.baselineUpMs} ms; with an orphan ${r.orphanUpMs} ms (+${r.orphanExtraMs}; +${r.orphanExtraOverOwnStartMs} over its own service's start, ${r.orphanServiceUpMs} ms); with a stranger, evict ${r.strangerEvictUpMs} ms (+${r.strangerExtraMs})`);

  // lease storm
  const go = join(work, 'go');
  const stormEnv = { ...env, BERTH_HOME: join(work, 'storm') };
  const storm = Array.from({ length: 20 }, (_, i) => spawn(node, ['--disable-warning=ExperimentalWarning', LEASE_MANY, String(i), go], { env: stormEnv, stdio: ['ignore', 'pipe', 'inherit'] }));
  const outs = storm.map((c) => new Promise((r) => { let o = ''; c.stdout.on('data', (d) => (o += d)); c.on('exit', () => r(JSON.parse(o))); }));
  writeFileSync(go, '');
  const leases = (await Promise.all(outs)).flat();
  const byName = new Map();
  let duplicates = 0;
  const owners = new Map();
  for (const [name, p] of leases) {
    if (byName.has(name) && byName.get(name) !== p) duplicates++;
    byName.set(name, p);
    if (owners.has(p) && owners.get(p) !== name) duplicates++;
    owners.set(p, name);
  }
  const lat = leases.map((l) => l[2]).sort((a, b) => a - b);
  results.benchmarks['lease storm, 20 x 25'] = { duplicates, p50Ms: round(lat[lat.length >> 1]), p99Ms: round(lat[Math.floor(lat.length * 0.99)]) };
  console.log(`lease storm: ${duplicates} duplicates, p50 ${round(lat[lat.length >> 1])} ms, p99 ${round(lat[Math.floor(lat.length * 0.99)])} ms`);

  // the owner watch: CPU over wall time with 200 session-scoped services over 50 live sessions
  const watch = spawnSync(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/owner-watch.mjs')], { env, encoding: 'utf8' });
  if (watch.status !== 0) throw new Error(`bench/owner-watch.mjs → ${watch.status}\n${watch.stderr}`);
  const w = JSON.parse(watch.stdout);
  results.benchmarks['owner watch, 200 services'] = w;
  console.log(`owner watch: ${w.services} services, ${w.sessions} sessions, ${w.seconds} s: ${w.quiet.cpuPercent} % CPU quiet, ${w.churn.cpuPercent} % with a record change every tick`);

  // the dashboard: the daemon's RSS with the page never opened, then opened and used
  const dash = spawnSync(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/dashboard-rss.mjs')], { env, encoding: 'utf8' });
  if (dash.status !== 0) throw new Error(`bench/dashboard-rss.mjs → ${dash.status}\n${dash.stderr}`);
  const dr = JSON.parse(dash.stdout);
  results.benchmarks['daemon RSS, dashboard never opened vs opened'] = dr;
  console.log(`daemon RSS: dashboard never opened ${dr.neverOpenedKiB} KiB · opened and used ${dr.openedKiB} KiB`);

  // the dashboard's first paint with 200 services, in headless Chromium
  const paint = spawnSync(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/dashboard-paint.mjs')], { env, encoding: 'utf8' });
  if (paint.status !== 0) throw new Error(`bench/dashboard-paint.mjs → ${paint.status}\n${paint.stderr}`);
  const dp = JSON.parse(paint.stdout);
  results.benchmarks['dashboard first paint, 200 services'] = dp;
  console.log(dp.skipped ? `dashboard first paint: skipped (${dp.skipped})` : `dashboard first paint, ${dp.services} services: table full ${dp.rowsMedianMs} ms (max ${dp.rowsMaxMs}) · first-contentful-paint ${dp.fcpMedianMs} ms`);

  // the daemon's memory: each ingredient alone at rest, then berthd and pm2's daemon with 20 services
  const mem = spawnSync(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/daemon-modules.mjs')], { env: pm2 ? { ...env, BENCH_PM2: pm2 } : env, encoding: 'utf8' });
  if (mem.status !== 0) throw new Error(`bench/daemon-modules.mjs → ${mem.status}\n${mem.stderr}`);
  const dm = JSON.parse(mem.stdout);
  results.benchmarks['daemon memory, by ingredient'] = dm;
  console.log(`daemon memory: ${Object.entries(dm.ingredients.this).map(([k, v]) => `${k} +${Math.round(v.overBareKiB / 1024)} MiB`).join(' · ')}`);
  console.log(`daemon RSS with ${dm.services} services: berthd ${dm.daemons.this.rssKiB} KiB · pm2 ${dm.daemons.pm2?.rssKiB ?? '-'} KiB (${dm.daemons.this.ratioToPm2 ?? '-'}×)`);

  // the NOTIFY_SOCKET drain with nothing said: CPU over wall time, beside an idle Node
  const drain = spawnSync(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/notify-drain.mjs')], { env, encoding: 'utf8' });
  if (drain.status !== 0) throw new Error(`bench/notify-drain.mjs → ${drain.status}\n${drain.stderr}`);
  const d = JSON.parse(drain.stdout);
  results.benchmarks['notify drain, idle'] = d;
  console.log(`notify drain: ${d.seconds} s idle: ${d.drained?.cpuPercent ?? 'no socket'} % CPU (an idle Node: ${d.baseline.cpuPercent} %)`);

  // where the hot verbs' time goes (BERTH_PROFILE phases, ps and run included; bench/verbs.mjs,
  // run alone, compares the daemon's verbs with a base build)
  const prof = spawnSync(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/profile.mjs')], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (prof.status !== 0) throw new Error(`bench/profile.mjs → ${prof.status}\n${prof.stderr}`);
  results.benchmarks['hot verbs, phases'] = JSON.parse(prof.stdout.trim().split('\n').at(-1));
  console.log("hot verbs, phases: see bench/profile.mjs's document in the results file");

  // the scaling curves (who by processes on the machine; ps and daemon RSS by services), drawn
  // into docs/bench/scaling.svg; BENCH_SCALING=0 skips them. It prints its own progress.
  if (process.env.BENCH_SCALING !== '0') {
    const sc = spawnSync(node, [join(ROOT, 'bench/scaling.mjs')], { env: { ...env, ...(pm2 ? { BENCH_PM2: pm2 } : {}) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
    if (sc.status !== 0) throw new Error(`bench/scaling.mjs → ${sc.status}`);
    results.benchmarks.scaling = JSON.parse(sc.stdout);
    console.log(`scaling: ${results.benchmarks.scaling.seconds} s, chart in ${results.benchmarks.scaling.svg}`);
  }
}

try {
  await main();
  const out = join(ROOT, 'bench/results', `${results.date.slice(0, 19).replace(/[:T]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
} finally {
  for (const pid of started) try { process.kill(pid, 'SIGTERM'); } catch {}
  spawnSync(node, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  spawnSync('sh', ['-c', `ls ${work}/competitors/node_modules/.bin/pm2 >/dev/null 2>&1 && PM2_HOME=${env.PM2_HOME} ${work}/competitors/node_modules/.bin/pm2 kill`], { stdio: 'ignore' });
  // services of this home that a failed step may have left: stop them by pid
  for (const entry of (await import('node:fs')).readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try { if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`BERTH_HOME=${env.BERTH_HOME}\0`)) process.kill(Number(entry), 'SIGKILL'); } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}
