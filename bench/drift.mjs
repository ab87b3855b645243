#!/usr/bin/env node
// `berth ps --json` in a berth.yaml project (decision 0034): 20 services started by `berth up`,
// so every ps marks config drift. Timed whole-process, interleaved with `node -e 0` (Node's
// floor), BENCH_RUNS runs each (default 15), with BERTH_PROFILE=1 for the phases; the first
// calls after the up are not timed (a judgement is cached only RACY_MS after the file's change).
// BENCH_BASE_ROOT=<a built checkout of an earlier commit> measures that build too, in a home and
// project of its own, interleaved with this one (A, B, A, B…). Prints one JSON document on
// stdout, a summary on stderr. The services and daemons started here are removed and stopped
// through berth (rm --force, daemon stop), and the temporary homes deleted.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SERVICES = 20;
const WARM_MS = 2500;
const work = mkdtempSync(join(tmpdir(), 'berth-bench-drift-'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? null : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (x) => (x === null ? null : Math.round(x * 10) / 10);

function build(label, root) {
  const proj = join(work, `${label}-proj`);
  mkdirSync(proj);
  const sleeper = `run: ["${process.execPath}", "-e", "setInterval(() => {}, 1 << 30)"]`;
  writeFileSync(join(proj, 'berth.yaml'), `services:\n${Array.from({ length: SERVICES }, (_, i) => `  s${i}:\n    ${sleeper}\n    purpose: bench\n`).join('')}`);
  const env = { ...process.env, BERTH_HOME: join(work, `${label}-home`), BERTH_SESSION: 'bench', BERTH_PROFILE: '1' };
  delete env.BERTH_INSTANCE;
  return { label, cli: join(root, 'dist/bundle/main.js'), env, proj, samples: [], phases: [] };
}

function timed(cmd, args, env, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, cwd, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
  return { ms, stderr: r.stderr };
}

const berth = (b, args) => timed(process.execPath, [b.cli, ...args], b.env, b.proj);

function phasesOf(stderr) {
  const line = stderr.split('\n').find((l) => l.startsWith('berth-profile '));
  if (!line) return {};
  const doc = JSON.parse(line.slice('berth-profile '.length));
  const out = { boot: doc.boot };
  for (const s of doc.spans) out[s.phase] = (out[s.phase] ?? 0) + s.ms;
  return out;
}

const builds = [build('this', ROOT)];
if (process.env.BENCH_BASE_ROOT) builds.push(build('base', process.env.BENCH_BASE_ROOT));
const floor = [];
try {
  for (const b of builds) berth(b, ['up', '--json']);
  const until = Date.now() + WARM_MS;
  while (Date.now() < until) for (const b of builds) berth(b, ['ps', '--json']);
  for (const b of builds) berth(b, ['ps', '--json']);
  for (let i = 0; i < RUNS; i++) {
    floor.push(timed(process.execPath, ['-e', '0'], process.env, work).ms);
    for (const b of builds) {
      const r = berth(b, ['ps', '--json']);
      b.samples.push(r.ms);
      b.phases.push(phasesOf(r.stderr));
    }
  }
} finally {
  for (const b of builds) {
    spawnSync(process.execPath, [b.cli, 'down', '--json'], { env: b.env, cwd: b.proj, encoding: 'utf8' });
    spawnSync(process.execPath, [b.cli, 'daemon', 'stop'], { env: b.env, encoding: 'utf8' });
  }
  rmSync(work, { recursive: true, force: true });
}

const result = { runs: RUNS, services: SERVICES, nodeFloorMs: round(median(floor)), builds: {} };
for (const b of builds) {
  const names = [...new Set(b.phases.flatMap((p) => Object.keys(p)))];
  result.builds[b.label] = { psMs: round(median(b.samples)), phasesMs: Object.fromEntries(names.map((n) => [n, round(median(b.phases.map((p) => p[n] ?? 0)))])) };
  process.stderr.write(`${b.label}: ps --json median ${round(median(b.samples))} ms (node -e 0 ${round(median(floor))} ms)\n`);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
