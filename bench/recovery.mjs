#!/usr/bin/env node
// Recovery: `berth up` until healthy, minus the same `berth up` with nothing in the way, for
// (a) an orphan: the daemon is down and the dead leader's grandchild holds the service's port;
// (b) a stranger holds the port and the service has `on_conflict: evict`. The method is the one
// bench/run.mjs always used (the same loop, the same fixture), moved here so that it also says
// where the time goes: every `up` runs with BERTH_PROFILE=1, and the timing marks the CLI (its
// stderr) and the daemon (its log) write (src/core/profile.ts) are lined up against the moment
// the `up` was spawned. Prints one JSON document; run by bench/run.mjs.
// BENCH_BASE_ROOT=<a built checkout of an earlier commit> measures that build the same way,
// interleaved with this one (base run 1, this run 1, base run 2, …), each in a home of its own:
// how docs/benchmarks.md compares against f4896fd. The base build writes no marks.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const PREFIX = 'berth-mark ';
const node = process.execPath;
const work = mkdtempSync(join(tmpdir(), 'berth-bench-recovery-'));
const started = [];

const now = () => performance.timeOrigin + performance.now();
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (x) => Math.round(x * 10) / 10;

/** One build's berth in a home of its own, with its project directory and its daemon's log. */
function setup(root, label) {
  const home = join(work, `home-${label}`);
  const proj = join(work, `proj-${label}`);
  mkdirSync(home, { recursive: true });
  mkdirSync(proj);
  const env = { ...process.env, BERTH_HOME: home, BERTH_SESSION: 'bench', BERTH_PROFILE: '1', BERTH_PROFILE_DAEMON: '1' };
  const cli = join(root, 'dist/bundle/main.js');
  const service = join(root, 'test/fixtures/service.mjs');
  const listen = join(root, 'test/fixtures/listen.mjs');
  const daemonLog = join(home, 'logs/berthd.log');
  const berth = (args, opts = {}) => {
    const r = spawnSync(node, [cli, ...args], { env, cwd: proj, encoding: 'utf8', ...opts });
    if (r.status !== 0) throw new Error(`${label}: berth ${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
    return r;
  };
  const config = (grandchild) => writeFileSync(join(proj, 'berth.yaml'), grandchild
    ? `services:\n  hook:\n    run: [${node}, ${service}, --grandchild, --http]\n    port: auto\n`
    : `services:\n  hook:\n    run: [${node}, ${service}, --http]\n    port: auto\n    on_conflict: evict\n`);
  config(false);
  /** One `berth up`: its wall time, and its marks (CLI and daemon) in ms after its spawn. */
  const up = () => {
    const logFrom = existsSync(daemonLog) ? readFileSync(daemonLog).length : 0;
    const t0 = now();
    const r = berth(['up']);
    const ms = now() - t0;
    const daemonLines = existsSync(daemonLog) ? readFileSync(daemonLog).subarray(logFrom).toString('utf8') : '';
    return { ms, marks: readMarks(`${r.stderr}\n${daemonLines}`, t0, ms) };
  };
  return { label, env, listen, berth, config, up };
}

/** The marks in some output, as [phase, ms after t0], in time order; a repeated phase is numbered (obstacles#2). */
function readMarks(text, t0, endMs) {
  const marks = text.split('\n').filter((l) => l.startsWith(PREFIX)).map((l) => JSON.parse(l.slice(PREFIX.length)));
  marks.sort((a, b) => a.t - b.t);
  const seen = new Map();
  const out = [];
  for (const m of marks) {
    const base = m.phase === 'check' ? `check-${m.ok ? 'ok' : 'fail'}` : m.phase;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.push([n === 1 ? base : `${base}#${n}`, m.t - t0]);
  }
  out.push(['cli-exit', endMs]);
  return out;
}

/** One round of the three cases, in the order bench/run.mjs always ran them. */
async function round1(b, into) {
  into.baseline.push(b.up());
  b.berth(['stop', 'hook']);
  // stranger: a foreign listener on the port while the service is down
  const p = Number(b.berth(['port', 'hook']).stdout.trim());
  const squatter = spawn(node, [b.listen, '--port', String(p)], { env: { ...b.env, BERTH_SESSION: 'other', BERTH_PROFILE: '' }, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(squatter.pid);
  await new Promise((r) => squatter.stdout.on('data', r));
  into.stranger.push(b.up());
  // orphan: the daemon is gone and the service's leader died; its grandchild holds the port
  b.berth(['rm', 'hook']);
  b.config(true);
  // the grandchild service's own start, nothing in the way (it starts one Node more than the
  // plain service): what the orphan case is also compared with, beyond the old baseline
  into.ownStart.push(b.up());
  const svc = JSON.parse(b.berth(['ps', '--json']).stdout).services[0];
  b.berth(['daemon', 'stop']);
  process.kill(svc.pid, 'SIGKILL');
  into.orphan.push(b.up());
  b.berth(['rm', 'hook']);
  b.config(false);
}

/** Per case: the median wall time, and each mark's median time after the spawn (over the runs that had it). */
function summarize(samples) {
  const phases = new Map();
  for (const s of samples) for (const [phase, ms] of s.marks) (phases.get(phase) ?? phases.set(phase, []).get(phase)).push(ms);
  const marks = [...phases].map(([phase, xs]) => ({ phase, medianMs: round(median(xs)), runs: xs.length })).sort((a, b) => a.medianMs - b.medianMs);
  return { medianMs: round(median(samples.map((s) => s.ms))), samplesMs: samples.map((s) => round(s.ms)), marks };
}

function result(samples) {
  const [baseline, ownStart, orphan, stranger] = [summarize(samples.baseline), summarize(samples.ownStart), summarize(samples.orphan), summarize(samples.stranger)];
  return {
    baselineUpMs: baseline.medianMs,
    orphanUpMs: orphan.medianMs,
    strangerEvictUpMs: stranger.medianMs,
    // as bench/run.mjs always reported them: both against the plain service's start
    orphanExtraMs: round(orphan.medianMs - baseline.medianMs),
    strangerExtraMs: round(stranger.medianMs - baseline.medianMs),
    // the orphan against its own service's start (the grandchild one, with nothing in the way)
    orphanServiceUpMs: ownStart.medianMs,
    orphanExtraOverOwnStartMs: round(orphan.medianMs - ownStart.medianMs),
    cases: { baseline, ownStart, orphan, stranger },
  };
}

try {
  const builds = [setup(ROOT, 'this')];
  if (process.env.BENCH_BASE_ROOT) builds.unshift(setup(process.env.BENCH_BASE_ROOT, 'base'));
  const samples = Object.fromEntries(builds.map((b) => [b.label, { baseline: [], ownStart: [], orphan: [], stranger: [] }]));
  // a first `up` starts each daemon, outside the figures (bench/run.mjs's daemon was already up)
  for (const b of builds) {
    b.berth(['up']);
    b.berth(['rm', 'hook']);
  }
  for (let i = 0; i < RUNS; i++) for (const b of builds) await round1(b, samples[b.label]);
  const out = { runs: RUNS, load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), ...result(samples.this) };
  if (samples.base) out.againstBase = { base: process.env.BENCH_BASE_ROOT, ...result(samples.base) };
  console.log(JSON.stringify(out));
} finally {
  for (const pid of started) try { process.kill(pid, 'SIGTERM'); } catch {}
  for (const label of ['this', 'base']) {
    const root = label === 'this' ? ROOT : process.env.BENCH_BASE_ROOT;
    if (root) spawnSync(node, [join(root, 'dist/bundle/main.js'), 'daemon', 'stop'], { env: { ...process.env, BERTH_HOME: join(work, `home-${label}`) }, stdio: 'ignore' });
  }
  // services of these homes that a failed step may have left: stopped by pid
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try { if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`BERTH_HOME=${work}/`)) process.kill(Number(entry), 'SIGKILL'); } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}
