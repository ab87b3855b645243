#!/usr/bin/env node
// The daemon's verbs from the CLI (issue 17): whole-process time and where it goes, for
//   ps      `berth ps --json` with 20 running services
//   again   `berth run sl --no-wait -- sleep 3600` while sl already runs (an agent re-running it
//           after a context reset)
//   start   `berth run NEW --no-wait -- sleep 3600`, one start (removed again outside the timing)
// interleaved with `node -e 0` (Node's own floor), BENCH_RUNS runs each (default 10). Every call
// runs with BERTH_PROFILE=1 (one boolean test per phase when off; a few performance.now() when
// on), and the medians of its phases are printed beside the wall time: Node's start-up (boot),
// the module loads, each daemon round trip.
// BENCH_BASE_ROOT=<a built checkout of an earlier commit> measures that build too, in a home of
// its own, interleaved with this one (A, B, A, B…): how docs/benchmarks.md compares against the
// base of a change. Prints one JSON document on stdout (bench/run.mjs reads it), a summary on
// stderr. Everything started here is stopped by pid, and the homes removed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const SERVICES = 20;
const work = mkdtempSync(join(tmpdir(), 'berth-bench-verbs-'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? null : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (x) => (x === null ? null : Math.round(x * 10) / 10);

/** One build under test: its CLI, its own home (and so its own daemon). */
function build(label, root) {
  const env = { ...process.env, BERTH_HOME: join(work, label), BERTH_SESSION: 'bench', BERTH_PROFILE: '1' };
  delete env.BERTH_INSTANCE;
  return { label, cli: join(root, 'dist/bundle/main.js'), env, samples: { ps: [], again: [], start: [] } };
}

function berth(b, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [b.cli, ...args], { env: b.env, encoding: 'utf8', cwd: work });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${b.label}: berth ${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
  const line = r.stderr.split('\n').find((l) => l.startsWith('berth-profile '));
  return { ms, out: r.stdout, profile: line ? JSON.parse(line.slice('berth-profile '.length)) : null };
}

/** A profile's phases summed by name (a phase may run more than once: each /proc read, each round trip). */
function phases(profile) {
  const out = { boot: profile.boot };
  for (const s of profile.spans) {
    const name = s.phase.startsWith('proc: ') ? 'proc reads' : s.phase;
    out[name] = (out[name] ?? 0) + s.ms;
  }
  return out;
}

function summary(samples) {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.phases)))];
  return {
    medianMs: round(median(samples.map((s) => s.ms))),
    phasesMedianMs: Object.fromEntries(names.map((n) => [n, round(median(samples.map((s) => s.phases[n] ?? 0)))])),
  };
}

const builds = [build('this', ROOT)];
if (process.env.BENCH_BASE_ROOT) builds.push(build('base', process.env.BENCH_BASE_ROOT));
const floor = [];
try {
  for (const b of builds) {
    for (let i = 0; i < SERVICES; i++) berth(b, ['run', `v${i}`, '--no-wait', '--', 'sleep', '3600']);
    berth(b, ['run', 'sl', '--no-wait', '--', 'sleep', '3600']);
  }
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    floor.push(Number(process.hrtime.bigint() - t0) / 1e6);
    for (const b of builds) {
      const take = (kind, r) => b.samples[kind].push({ ms: r.ms, phases: phases(r.profile) });
      take('ps', berth(b, ['ps', '--json']));
      take('again', berth(b, ['run', 'sl', '--no-wait', '--', 'sleep', '3600']));
      take('start', berth(b, ['run', `n${i}`, '--no-wait', '--', 'sleep', '3600']));
      berth(b, ['rm', `n${i}`]);
    }
  }
  const result = { runs: RUNS, services: SERVICES + 1, nodeFloorMs: round(median(floor)), builds: {} };
  for (const b of builds) result.builds[b.label] = { ps: summary(b.samples.ps), again: summary(b.samples.again), start: summary(b.samples.start) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stderr.write(`node -e 0: ${result.nodeFloorMs} ms (median of ${RUNS})\n`);
  for (const [label, r] of Object.entries(result.builds)) {
    for (const [verb, s] of Object.entries(r)) {
      const top = Object.entries(s.phasesMedianMs).filter(([n]) => n !== 'run verb').map(([n, v]) => `${n} ${v}`).join(' · ');
      process.stderr.write(`${label} ${verb}: ${s.medianMs} ms  [${top}]\n`);
    }
  }
} finally {
  for (const b of builds) {
    // the services by pid (TERM, then KILL)
    let pids = [];
    try {
      pids = JSON.parse(berth(b, ['ps', '--json', '--all']).out).services.map((s) => s.pid).filter((p) => p !== null);
    } catch {}
    // the daemon first (its services keep running), so that none is restarted once stopped
    spawnSync(process.execPath, [b.cli, 'daemon', 'stop'], { env: b.env, stdio: 'ignore' });
    for (const pid of pids) try { process.kill(pid, 'SIGTERM'); } catch {}
    const deadline = Date.now() + 5000;
    while (pids.some((p) => { try { process.kill(p, 0); return true; } catch { return false; } }) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
    for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}
