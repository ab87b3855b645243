#!/usr/bin/env node
// Runs the suite in runs, each with a marker of its own in the environment of every process it
// starts, and fails a run if any process carrying its marker is still alive after it: a test that
// leaves a process behind is a bug. Leftovers are stopped by pid (TERM, then KILL) and named.
//
// The whole suite (no files given) is three runs, one after the other:
//   main      every test file except those in ALONE, several files at once (--test-concurrency)
//   alone     the files in ALONE, one at a time (they measure time or load the machine)
//   portable  the files in PORTABLE again, with BERTH_INSPECT=portable BERTH_LOCKS=flock: the
//             portable inspection and flock locks (the macOS code paths) on every CI run
// With files given, only those run (one run, the environment as it is). Options:
//   --concurrency N   files at once (default: BERTH_TEST_CONCURRENCY, else DEFAULT_CONCURRENCY)
//   --portable        the portable run alone (of the files given, else of PORTABLE)
//   --leaderless      run in a session whose leader has exited, as CI does (see docs/testing.md)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 14)) {
  console.error(`the tests need Node.js 22.14 or newer; this is ${process.version} (see README.md)`);
  process.exit(1);
}

// Measured on 2 shared cores (docs/testing.md): 1 file at a time takes ~8 minutes, 3 at once ~4.
const DEFAULT_CONCURRENCY = 3;
// Files that must not share the machine: they assert on timing under load or make the load.
const ALONE = ['test/e2e/chaos.test.ts'];
// The second run: inspection (who holds a port, a file) and locks, where the portable backend
// and flock locks take over from /proc and abstract sockets; the supervisor and eviction on top.
const PORTABLE = [
  'test/e2e/who-port.test.ts',
  'test/e2e/who-file.test.ts',
  'test/e2e/lock-storm.test.ts',
  'test/e2e/lease-storm.test.ts',
  'test/e2e/slots-rate.test.ts',
  'test/e2e/supervisor.test.ts',
  'test/e2e/evict-path.test.ts',
  'test/e2e/incidents.test.ts',
  'test/adversarial/evict.test.ts',
  'test/e2e/run-env.test.ts',
];
const PORTABLE_ENV = { BERTH_INSPECT: 'portable', BERTH_LOCKS: 'flock' };

const root = fileURLToPath(new URL('..', import.meta.url));
// set by --leaderless for the runner it starts; not passed on to the tests
const statusFd = process.env.BERTH_TEST_STATUS_FD;
delete process.env.BERTH_TEST_STATUS_FD;
const opts = parseArgs(process.argv.slice(2));
if (opts.leaderless) process.exit(await leaderless());

const runs = [];
if (opts.files.length > 0 && !opts.portable) runs.push({ name: 'files', files: opts.files, concurrency: opts.concurrency, env: {} });
else if (!opts.portable) {
  const all = testFiles();
  runs.push({ name: 'main', files: all.filter((f) => !ALONE.includes(f)), concurrency: opts.concurrency, env: {} });
  runs.push({ name: 'alone', files: ALONE, concurrency: 1, env: {} });
}
if (opts.portable || opts.files.length === 0) {
  runs.push({ name: 'portable', files: opts.files.length > 0 ? opts.files : PORTABLE, concurrency: opts.concurrency, env: PORTABLE_ENV });
}

const results = [];
for (const run of runs) results.push(await runOnce(run));
console.log('\nruns:');
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.label}: ${r.files} files in ${r.seconds} s${r.why ? ` (${r.why})` : ''}`);
const code = results.every((r) => r.ok) ? 0 : 1;
reportStatus(code);
process.exit(code);

function parseArgs(argv) {
  const o = { files: [], concurrency: Number(process.env.BERTH_TEST_CONCURRENCY || DEFAULT_CONCURRENCY), portable: false, leaderless: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--concurrency') o.concurrency = Number(argv[++i]);
    else if (a.startsWith('--concurrency=')) o.concurrency = Number(a.slice('--concurrency='.length));
    else if (a === '--portable') o.portable = true;
    else if (a === '--leaderless') o.leaderless = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else o.files.push(a);
  }
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) usage('--concurrency (or BERTH_TEST_CONCURRENCY) must be a whole number of at least 1');
  return o;
}

function usage(why) {
  console.error(`test/run.mjs: ${why}\nusage: node test/run.mjs [--concurrency N] [--portable] [--leaderless] [files…]`);
  process.exit(2);
}

/** test/**\/*.test.ts, relative to the repository, sorted. */
function testFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules') walk(p);
      else if (e.isFile() && e.name.endsWith('.test.ts')) out.push(relative(root, p));
    }
  };
  walk(join(root, 'test'));
  return out.sort();
}

async function runOnce(run) {
  const env = Object.entries(run.env).map(([k, v]) => `${k}=${v}`).join(' ');
  const label = env ? `${run.name} (${env})` : run.name;
  console.log(`\n=== run ${label}: ${run.files.length} files, ${run.concurrency} at a time`);
  const marker = randomUUID();
  // The adversarial tests append what they tried to this file (test/helpers/adversarial.ts);
  // the durations reporter writes seconds per file to the other.
  const dir = mkdtempSync(join(tmpdir(), 'berth-run-'));
  const tallyFile = join(dir, 'tally.jsonl');
  const durationsFile = join(dir, 'durations.tsv');
  const args = [
    '--experimental-strip-types',
    '--disable-warning=ExperimentalWarning',
    '--test',
    '--test-timeout=300000',
    `--test-concurrency=${run.concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'test/reporters/durations.mjs')}`,
    `--test-reporter-destination=${durationsFile}`,
    ...run.files,
  ];
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...run.env, BERTH_TEST_RUN: marker, BERTH_ADVERSARIAL_TALLY: tallyFile },
  });
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  const seconds = Math.round((Date.now() - started) / 1000);
  printTally(tallyFile);
  printSlowest(durationsFile);
  rmSync(dir, { recursive: true, force: true });
  const left = await leftovers(`BERTH_TEST_RUN=${marker}`);
  const why = [code !== 0 ? 'tests failed' : '', left > 0 ? `${left} process(es) left alive` : ''].filter(Boolean).join(', ');
  return { label, files: run.files.length, seconds, ok: code === 0 && left === 0, why };
}

function printTally(tallyFile) {
  let lines = [];
  try {
    lines = readFileSync(tallyFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    // no adversarial test ran
  }
  if (lines.length === 0) return;
  const sum = (k) => lines.reduce((n, e) => n + (e[k] ?? 0), 0);
  const tests = new Set(lines.map((e) => e.test)).size;
  console.log(
    `\nadversarial: ${sum('hostile')} hostile inputs tried in ${tests} tests; ${sum('bystanders')} bystander processes checked, ` +
      `${sum('wrongSignals')} signalled that should not have been`,
  );
}

function printSlowest(durationsFile) {
  let lines = [];
  try {
    lines = readFileSync(durationsFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  console.log(`slowest files (s): ${lines.slice(0, 5).map((l) => l.split('\t').reverse().join(' ')).join(', ')}`);
}

function survivors(entry) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
        out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() });
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** How many processes carrying the run's marker outlived it; they are named and stopped by pid. */
async function leftovers(entry) {
  // Give processes that are exiting right now a moment to finish.
  let left = survivors(entry);
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = survivors(entry);
  }
  if (left.length === 0) return 0;
  console.error(`\nFAIL: ${left.length} process(es) started by the tests are still alive:`);
  for (const p of left) console.error(`  pid ${p.pid}: ${p.cmd}`);
  for (const p of left) try { process.kill(p.pid, 'SIGTERM'); } catch {}
  await new Promise((r) => setTimeout(r, 1000));
  for (const p of survivors(entry)) try { process.kill(p.pid, 'SIGKILL'); } catch {}
  return left.length;
}

/**
 * CI ran the suite in a session whose leader had exited. This reproduces that: `setsid` makes a
 * new session led by a shell that starts this runner in the background and exits at once. The
 * runner's status comes back on fd 3, a pipe that closes when the runner ends.
 */
async function leaderless() {
  const inner = process.argv.slice(2).filter((a) => a !== '--leaderless');
  const child = spawn('setsid', ['sh', '-c', '"$@" & exit 0', 'sh', process.execPath, fileURLToPath(import.meta.url), ...inner], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, BERTH_TEST_STATUS_FD: '3', BERTH_TEST_LEADERLESS: '1' },
  });
  child.on('error', (e) => console.error(`test/run.mjs --leaderless: ${e.message} (setsid is in util-linux)`));
  let status = '';
  child.stdio[3].on('data', (d) => (status += d.toString()));
  await new Promise((resolve) => child.stdio[3].on('close', resolve));
  const code = Number.parseInt(status, 10);
  if (Number.isNaN(code)) {
    console.error('test/run.mjs --leaderless: the runner ended without a status');
    return 1;
  }
  return code;
}

function reportStatus(code) {
  if (process.env.BERTH_TEST_LEADERLESS === '1') {
    // proof that the runs above had no session leader (a test must not rely on one)
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const sid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    let leaderAlive = true;
    try {
      process.kill(sid, 0);
    } catch {
      leaderAlive = false;
    }
    console.log(`leaderless: session ${sid}, its leader ${leaderAlive ? 'is ALIVE (not reproduced)' : 'has exited'}`);
  }
  if (statusFd) {
    const fd = Number(statusFd);
    writeSync(fd, `${code}\n`);
    closeSync(fd);
  }
}
