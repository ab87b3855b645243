#!/usr/bin/env node
// Where the hot verbs spend their time: each is run BENCH_RUNS times (default 10) with
// BERTH_PROFILE=1, interleaved with `node -e 0`, in a home of its own with a listener, a SQLite
// writer, 20 services and a lease; the medians of the whole process and of each phase (Node's
// start-up, module loads, the registry, each question to /proc, each daemon round trip) are
// printed as a Markdown table and as one JSON document (the last line) for bench/run.mjs.
// BENCH_BASE_ROOT=<a built checkout> also times that build's whole calls, interleaved, for a
// before/after column. Everything started here is stopped by pid at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/bundle/main.js');
const BASE = process.env.BENCH_BASE_ROOT ? join(process.env.BENCH_BASE_ROOT, 'dist/bundle/main.js') : undefined;
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const node = process.execPath;
const work = mkdtempSync(join(tmpdir(), 'berth-bench-profile-'));
const cwd = join(work, 'proj');
mkdirSync(cwd);
const env = { ...process.env, BERTH_HOME: join(work, 'home'), BERTH_SESSION: 'bench' };
delete env.BERTH_PROFILE;
const started = [];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;

function timed(cmd, args, extraEnv = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
  return { ms, stderr: r.stderr };
}

function berth(...args) {
  return timed(node, [CLI, ...args]);
}

/** A profiled call's phases, summed by name ("proc: readStat" × 20 is one row). */
function phasesOf(stderr) {
  const line = stderr.split('\n').find((l) => l.startsWith('berth-profile '));
  if (!line) throw new Error(`no berth-profile line:\n${stderr}`);
  const doc = JSON.parse(line.slice('berth-profile '.length));
  const sums = new Map([['Node start-up (until berth\'s first line)', doc.boot]]);
  let inner = 0;
  let verb = 0;
  for (const s of doc.spans) {
    if (s.phase === 'run verb') {
      verb += s.ms;
      continue;
    }
    sums.set(s.phase, (sums.get(s.phase) ?? 0) + s.ms);
    // phases inside the verb's run: the rest of its run is berth's own work (parsing, joining, printing)
    if (s.phase !== 'home and compile cache' && s.phase !== 'load program' && s.phase !== 'load fast path' && s.phase !== 'load verb' && !s.phase.startsWith('wait for')) inner += s.ms;
  }
  sums.set('the verb\'s own work (joining, formatting, output)', Math.max(0, verb - inner));
  return { sums, total: doc.total };
}

function startBg(cmd, args) {
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child.pid);
  return child;
}

const firstLine = (child) => new Promise((r) => child.stdout.once('data', (d) => r(String(d))));

async function main() {
  const listener = startBg(node, [join(ROOT, 'test/fixtures/listen.mjs'), '--host', '127.0.0.1']);
  const port = Number(/listening (\d+)/.exec(await firstLine(listener))[1]);
  const db = join(work, 'app.db');
  const writer = startBg(node, ['--disable-warning=ExperimentalWarning', join(ROOT, 'test/fixtures/hold-sqlite.mjs'), db]);
  await firstLine(writer);
  for (let i = 0; i < 20; i++) berth('run', `s${i}`, '--no-wait', '--', 'sleep', '3600');
  berth('port', 'web');
  // the settled state the calls below see: the daemon up, the compile cache warm
  for (let i = 0; i < 3; i++) berth('ps', '--json');

  const calls = {
    'who PORT': ['who', String(port)],
    'who FILE': ['who', db],
    'port NAME (leased)': ['port', 'web'],
    'ps --json (20 services)': ['ps', '--json'],
    'run NAME (already running)': ['run', 's0', '--no-wait', '--', 'sleep', '3600'],
    '--version': ['--version'],
  };
  const TALKS_TO_DAEMON = new Set(['ps --json (20 services)', 'run NAME (already running)']);
  const wall = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
  const baseWall = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
  const phases = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
  const nodeStart = [];
  for (let i = 0; i < RUNS; i++) {
    nodeStart.push(timed(node, ['-e', '0']).ms);
    for (const [name, args] of Object.entries(calls)) {
      const r = timed(node, [CLI, ...args], { BERTH_PROFILE: '1' });
      wall[name].push(r.ms);
      if (name !== '--version') phases[name].push(phasesOf(r.stderr));
      // the base build in the same home only for calls that do not talk to the daemon: a client of
      // another build retires the running daemon (bench/verbs.mjs compares those in homes of their own)
      if (BASE && !TALKS_TO_DAEMON.has(name)) baseWall[name].push(timed(node, [BASE, ...args]).ms);
    }
  }
  const out = { runs: RUNS, nodeMs: round(median(nodeStart)), calls: {} };
  for (const name of Object.keys(calls)) {
    const rows = {};
    for (const p of phases[name]) for (const [k, v] of p.sums) (rows[k] ??= []).push(v);
    out.calls[name] = {
      wallMs: round(median(wall[name])),
      ...(baseWall[name].length > 0 ? { baseWallMs: round(median(baseWall[name])) } : {}),
      profiledTotalMs: round(median(phases[name].map((p) => p.total))),
      phasesMs: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, round(median(v))])),
    };
  }
  print(out);
  for (let i = 0; i < 20; i++) berth('rm', `s${i}`);
  return out;
}

function print(out) {
  console.log(`\`node -e 0\`: ${out.nodeMs} ms (median of ${out.runs})\n`);
  for (const [name, c] of Object.entries(out.calls)) {
    console.log(`### ${name}: ${c.wallMs} ms whole process${c.baseWallMs !== undefined ? ` (base build ${c.baseWallMs} ms)` : ''}\n`);
    if (Object.keys(c.phasesMs).length === 0) continue;
    console.log('| phase | median ms |\n|---|---|');
    for (const [k, v] of Object.entries(c.phasesMs)) if (v >= 0.1) console.log(`| ${k} | ${v} |`);
    console.log(`| exit and the rest (whole process − profiled total ${c.profiledTotalMs}) | ${round(c.wallMs - c.profiledTotalMs)} |\n`);
  }
}

try {
  const out = await main();
  console.log(JSON.stringify(out));
} finally {
  for (const pid of started) try { process.kill(pid, 'SIGTERM'); } catch {}
  spawnSync(node, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  // services of this home that a failed step may have left: stop them by pid
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try { if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`BERTH_HOME=${env.BERTH_HOME}\0`)) process.kill(Number(entry), 'SIGKILL'); } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}
