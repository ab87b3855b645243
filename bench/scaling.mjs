#!/usr/bin/env node
// The scaling curves (issue 17): how the cost of `berth who` grows with the processes on the
// machine, and of `berth ps` and the daemon's memory with the services it supervises, beside
// lsof, ss and pm2 at the same points, so a reader sees the slope and not one point of it.
// Run by bench/run.mjs (which passes its pm2 install in BENCH_PM2) or alone
// (`node bench/scaling.mjs`, which installs pm2 into its temp folder). Prints one JSON document
// on stdout (progress on stderr) and draws docs/bench/scaling.svg (BENCH_SCALING_SVG).
// Everything runs in its own temp BERTH_HOME and PM2_HOME; everything started is stopped by pid
// at the end, even on failure, and the temp folder removed.
//   BENCH_RUNS                runs per command at each point (default 10), interleaved
//   BENCH_SCALING_PROCS       extra processes at each point (default 100,1000,5000)
//   BENCH_SCALING_SERVICES    services at each point (default 20,200,1000)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPm2 } from './competitors.mjs';
import { renderChart } from './svg-chart.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/bundle/main.js');
const LISTEN = join(ROOT, 'test/fixtures/listen.mjs');
const HOLD_SQLITE = join(ROOT, 'test/fixtures/hold-sqlite.mjs');
const SVG = process.env.BENCH_SCALING_SVG ?? join(ROOT, 'docs/bench/scaling.svg');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const points = (v, dflt) => (v ?? dflt).split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const PROCS = points(process.env.BENCH_SCALING_PROCS, '100,1000,5000');
const SERVICES = points(process.env.BENCH_SCALING_SERVICES, '20,200,1000');
// `berth up`s at once while filling up the services (each mostly waits; see startBerthServices)
const UP_CONCURRENCY = 16;
// processes and memory left to the rest of the machine (other engineers' tests share it)
const SPARE_PROCS = 2000;
const SLEEP_KIB = 1024; // a generous RSS of one `sleep` plus its kernel bookkeeping
const SETTLE_MS = 2000;
// spawnSync's default 1 MiB would cut `pm2 jlist` at 1,000 processes short
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;
const node = process.execPath;

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
// only when run: importing scalingChart (to redraw the chart from a results file) starts nothing
const work = isMain ? mkdtempSync(join(tmpdir(), 'berth-bench-scaling-')) : '';
const env = { ...process.env, BERTH_HOME: join(work, 'home'), BERTH_SESSION: 'bench', PM2_HOME: join(work, 'pm2') };
const started = [];
const log = (s) => process.stderr.write(`scaling: ${s}\n`);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (x) => Math.round(x * 10) / 10;
const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));

/** Processes on the machine, as /proc shows them (kernel threads included: only differences count). */
const countProcs = () => readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
const rssKiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s*(\d+)/)[1]);

function wall(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if ((r.status !== 0 || r.error) && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} → ${r.status} ${r.error ?? ''}\n${r.stdout}\n${r.stderr}`);
  return { ms, out: r.stdout ?? '' };
}

/** Interleaved: run 1 of each, run 2 of each, …; medians and every sample, and the output size. */
function compare(entries) {
  const times = Object.fromEntries(Object.keys(entries).map((k) => [k, []]));
  const bytes = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [k, [cmd, args, opts]] of Object.entries(entries)) {
      const r = wall(cmd, args, opts);
      times[k].push(r.ms);
      bytes[k] = Buffer.byteLength(r.out);
    }
  }
  return {
    medianMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(median(v))])),
    samplesMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map(round)])),
    outputBytes: bytes,
  };
}

function startBg(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { env, stdio: 'ignore', ...opts });
  if (child.pid) started.push(child.pid);
  return child;
}

/** The first line a child prints. */
const firstLine = (child) => new Promise((resolve, reject) => {
  child.once('error', reject);
  child.once('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited (${code}) before it was ready`)));
  child.stdout.once('data', (d) => resolve(String(d)));
});

/** How many processes and how much memory this machine leaves us; the points are cut to fit. */
function limits() {
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  // `ulimit -u`, read where the shell reads it
  const ulimitU = readFileSync('/proc/self/limits', 'utf8').match(/Max processes\s+(\S+)/)?.[1] ?? 'unlimited';
  const userMax = ulimitU === 'unlimited' ? Infinity : Number(ulimitU);
  const memAvailableKiB = Number(readFileSync('/proc/meminfo', 'utf8').match(/MemAvailable:\s*(\d+)/)[1]);
  const now = countProcs();
  const byPids = Math.min(pidMax, userMax) - now - SPARE_PROCS;
  const byMemory = Math.floor(memAvailableKiB / 2 / SLEEP_KIB);
  return { pidMax, ulimitU, memAvailableKiB, procsAtStart: now, maxExtra: Math.max(0, Math.min(byPids, byMemory)) };
}

/** `sleep` processes until /proc shows `extra` more processes than `baseline`; false if the OS refused. */
async function topUpTo(extra, baseline) {
  let refused = false;
  for (let attempt = 0; attempt < 5 && !refused; attempt++) {
    const missing = extra - (countProcs() - baseline);
    if (missing <= 0) return true;
    for (let i = 0; i < missing && !refused; i++) {
      const child = startBg('sleep', ['3600']);
      child.once('error', () => { refused = true; });
      if (!child.pid) refused = true;
      // let the event loop see spawn errors now and then
      if (i % 500 === 499) await sleepMs(0);
    }
    await sleepMs(50);
  }
  return !refused && countProcs() - baseline >= extra * 0.98;
}

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** TERM, up to 5 s, then KILL for those still there (only those: a pid gone may be reused). */
async function stopPids(pids) {
  for (const pid of pids) try { process.kill(pid, 'SIGTERM'); } catch {}
  const end = Date.now() + 5000;
  let left = pids.filter(alive);
  while (Date.now() < end && left.length > 0) {
    await sleepMs(50);
    left = left.filter(alive);
  }
  for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch {}
}

async function processAxis(limit) {
  const out = [];
  const baseline = countProcs();
  const listener = startBg(node, [LISTEN, '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = Number(/listening (\d+)/.exec(await firstLine(listener))?.[1]);
  const db = join(work, 'app.db');
  const writer = startBg(node, ['--disable-warning=ExperimentalWarning', HOLD_SQLITE, db], { stdio: ['ignore', 'pipe', 'ignore'] });
  await firstLine(writer);
  const fixtures = started.length;
  for (const target of PROCS) {
    if (target > limit.maxExtra) {
      out.push({ target, skipped: `the machine leaves ${limit.maxExtra} extra processes (pid_max ${limit.pidMax}, ulimit -u ${limit.ulimitU}, ${SPARE_PROCS} kept spare)` });
      log(`${target} processes: skipped (limit ${limit.maxExtra})`);
      continue;
    }
    if (!(await topUpTo(target, baseline))) {
      out.push({ target, skipped: `the OS refused more processes at ${countProcs() - baseline} extra` });
      log(`${target} processes: the OS refused more`);
      break;
    }
    const extra = countProcs() - baseline;
    const m = compare({
      'berth who PORT': [node, [CLI, 'who', String(port)]],
      'lsof -iTCP:P -sTCP:LISTEN': ['lsof', [`-iTCP:${port}`, '-sTCP:LISTEN'], { allowFail: true }],
      "ss -Htlnp 'sport = :P'": ['ss', ['-Htlnp', `sport = :${port}`]],
      'berth who FILE': [node, [CLI, 'who', db]],
      'lsof FILE': ['lsof', [db], { allowFail: true }],
    });
    out.push({ target, extra, procsOnMachine: countProcs(), load1: loadavg()[0], ...m });
    log(`${target} processes (${extra} extra): ${Object.entries(m.medianMs).map(([k, v]) => `${k} ${v} ms`).join(' · ')}`);
  }
  await stopPids(started.splice(fixtures));
  return out;
}

/** A child run to its end, rejecting on a non-zero exit with its output. */
const runAsync = (cmd, args, opts = {}) => new Promise((resolve, reject) => {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  child.once('error', reject);
  child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${cmd} ${args.join(' ')} → ${code}\n${text}`))));
});

/**
 * berth services s0..sTO-1 (`sleep 3600`, no port) declared in one generated berth.yaml, the new
 * ones (sFROM..) started by UP_CONCURRENCY `berth up NAMES…` at once on disjoint names: `up` waits
 * for each service to settle (0.5 s without a health check) one after another, so one `up` of
 * 1,000 would take over 8 minutes, and 1,000 `berth run`s cost 1,000 Node start-ups.
 */
function startBerthServices(from, to, cwd) {
  writeFileSync(join(cwd, 'berth.yaml'), `services:\n${Array.from({ length: to }, (_, i) => `  s${i}:\n    run: [sleep, "3600"]\n`).join('')}`);
  const names = Array.from({ length: to - from }, (_, i) => `s${from + i}`);
  const chunk = Math.ceil(names.length / UP_CONCURRENCY);
  const jobs = [];
  for (let i = 0; i < names.length; i += chunk) jobs.push(runAsync(node, [CLI, 'up', ...names.slice(i, i + chunk)], { cwd }));
  return Promise.all(jobs);
}

/** pm2 processes pFROM..pTO-1 (`sleep 3600`), one `pm2 start` of a generated ecosystem file. */
function startPm2Processes(pm2, from, to) {
  const apps = [];
  for (let i = from; i < to; i++) apps.push({ name: `p${i}`, script: 'sleep', args: '3600', interpreter: 'none', autorestart: false });
  const file = join(work, `ecosystem-${to}.config.cjs`);
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps })};\n`);
  return runAsync(pm2, ['start', file]);
}

async function serviceAxis(pm2, limit) {
  const out = [];
  const proj = join(work, 'proj');
  mkdirSync(proj, { recursive: true });
  let have = 0;
  for (const count of SERVICES) {
    // each point is about 2 processes a service (berth's and pm2's)
    if (count * 2 > limit.maxExtra) {
      out.push({ count, skipped: `the machine leaves ${limit.maxExtra} extra processes` });
      break;
    }
    const t0 = Date.now();
    await Promise.all([startBerthServices(have, count, proj), pm2 ? startPm2Processes(pm2, have, count) : null]);
    have = count;
    const startS = round((Date.now() - t0) / 1000);
    await sleepMs(SETTLE_MS);
    const running = JSON.parse(wall(node, [CLI, 'ps', '--json']).out).services.filter((s) => s.state === 'running').length;
    const pm2Online = pm2 ? JSON.parse(wall(pm2, ['jlist']).out).filter((p) => p.pm2_env?.status === 'online').length : null;
    if (running !== count || (pm2 && pm2Online !== count)) throw new Error(`expected ${count} running services; berth has ${running}, pm2 ${pm2Online}`);
    const m = compare({ 'berth ps --json': [node, [CLI, 'ps', '--json']], ...(pm2 ? { 'pm2 jlist': [pm2, ['jlist']] } : {}) });
    const daemonPid = JSON.parse(wall(node, [CLI, 'daemon', 'status', '--json']).out).pid;
    const pm2Pid = pm2 ? Number(readFileSync(join(env.PM2_HOME, 'pm2.pid'), 'utf8')) : null;
    const rss = { berthd: rssKiB(daemonPid), ...(pm2Pid ? { 'pm2 daemon': rssKiB(pm2Pid) } : {}) };
    out.push({ count, startedInS: startS, load1: loadavg()[0], ...m, rssKiB: rss });
    log(`${count} services (started in ${startS} s): ${Object.entries(m.medianMs).map(([k, v]) => `${k} ${v} ms`).join(' · ')} · RSS ${Object.entries(rss).map(([k, v]) => `${k} ${Math.round(v / 1024)} MiB`).join(' · ')}`);
  }
  return out;
}

/** The chart of docs/bench/scaling.svg from the samples. */
export function scalingChart(doc) {
  const procs = doc.processes.filter((p) => !p.skipped);
  const svcs = doc.services.filter((p) => !p.skipped);
  const seriesOf = (rows, x, pick) => {
    const names = [...new Set(rows.flatMap((r) => Object.keys(pick(r))))];
    return names.map((name) => ({ name, points: rows.filter((r) => pick(r)[name] !== undefined).map((r) => [x(r), pick(r)[name]]) }));
  };
  return {
    title: 'berth at scale: how the cost grows',
    note: `${doc.date.slice(0, 10)} · ${doc.machine} · medians of ${doc.runs} interleaved runs · load ${doc.loadBefore} → ${doc.loadAfter} · bench/scaling.mjs`,
    panels: [
      { title: 'Who holds a port / a file', xLabel: 'extra processes on the machine (log)', yLabel: 'wall time per call (ms)', series: seriesOf(procs, (r) => r.target, (r) => r.medianMs) },
      { title: 'List the services', xLabel: 'services (log)', yLabel: 'wall time per call (ms)', series: seriesOf(svcs, (r) => r.count, (r) => r.medianMs) },
      { title: 'Daemon memory', xLabel: 'services (log)', yLabel: 'RSS (MiB)', series: seriesOf(svcs, (r) => r.count, (r) => Object.fromEntries(Object.entries(r.rssKiB).map(([k, v]) => [`${k} RSS`, round(v / 1024)]))) },
    ],
  };
}


async function main() {
  const t0 = Date.now();
  mkdirSync(env.BERTH_HOME, { recursive: true });
  const cpu = readFileSync('/proc/cpuinfo', 'utf8');
  const machine = `${cpu.split('processor').length - 1} cores, ${Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s*(\d+)/)[1]) / 1048576)} GiB, Node ${process.version}`;
  const limit = limits();
  const loadBefore = round(loadavg()[0]);
  log(`limits: ${JSON.stringify(limit)}; load ${loadBefore}`);
  const pm2 = installPm2(join(work, 'competitors'));
  if (!pm2) log('pm2 could not be installed: the pm2 curves are skipped');
  const processes = await processAxis(limit);
  const services = await serviceAxis(pm2, limit);
  const doc = { date: new Date().toISOString(), machine, runs: RUNS, limits: limit, loadBefore, loadAfter: round(loadavg()[0]), seconds: round((Date.now() - t0) / 1000), processes, services, svg: relative(ROOT, SVG) };
  mkdirSync(dirname(SVG), { recursive: true });
  writeFileSync(SVG, renderChart(scalingChart(doc)));
  log(`wrote ${SVG} in ${doc.seconds} s`);
  return doc;
}

/**
 * Everything this run started, stopped by pid: the fixtures, then berth's daemon, then every
 * process of this BERTH_HOME or PM2_HOME (the services, pm2's daemon and its processes) at once,
 * TERM then KILL; `pm2 kill` would stop 1,000 processes one by one.
 */
async function cleanUp() {
  const t0 = Date.now();
  await stopPids(started.splice(0));
  spawnSync(node, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  const ours = new Set();
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (environ.includes(`BERTH_HOME=${env.BERTH_HOME}\0`) || environ.includes(`PM2_HOME=${env.PM2_HOME}\0`)) ours.add(Number(entry));
      parents.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
    } catch {}
  }
  // and the children of those (pm2 may hand its processes an environment without PM2_HOME)
  for (const [pid, ppid] of parents) if (ours.has(ppid)) ours.add(pid);
  await stopPids([...ours]);
  rmSync(work, { recursive: true, force: true });
  log(`cleaned up ${ours.size} processes in ${round((Date.now() - t0) / 1000)} s`);
}

if (isMain) {
  let code = 0;
  try {
    process.stdout.write(`${JSON.stringify(await main(), null, 2)}\n`);
  } catch (err) {
    log(err.stack ?? String(err));
    code = 1;
  } finally {
    await cleanUp();
  }
  process.exitCode = code;
}
