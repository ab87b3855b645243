#!/usr/bin/env node
// What each of berthd's ingredients costs at rest (issue 17, decision 0031). The daemon idles
// most of its life, so its resident memory is what it costs the machine: this prints, for a bare
// Node and then for Node with each ingredient loaded alone (each in a fresh process, settled),
// the median RSS and its anonymous and file-backed parts, so the table says what each adds over
// bare Node. Then the whole daemon with 20 `sleep` services beside pm2's God daemon with the same
// 20, interleaved. One JSON document on stdout; run by bench/run.mjs.
// BENCH_BASE_ROOT=<a built checkout of an earlier commit> also measures that build's ingredients
// and daemon, interleaved with this one's. BENCH_PM2=<pm2 bin> uses that pm2 instead of
// installing one into a temporary folder. BENCH_RUNS (5) runs of each ingredient, BENCH_DAEMON_RUNS
// (10) of each daemon with BENCH_SERVICES (20) services.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installPm2 } from './competitors.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DAEMON_RUNS = Number(process.env.BENCH_DAEMON_RUNS ?? 10);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 20);
// adoption, the first GC and the notify drain's back-off are done by then
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 2000);
const node = process.execPath;
const work = mkdtempSync(join(tmpdir(), 'berth-bench-mem-'));
const baseEnv = { ...process.env, BERTH_SESSION: 'bench' };
const started = [];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** VmRSS and its anonymous / file-backed parts, in KiB. */
function memKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(status.match(new RegExp(`${name}:\\s*(\\d+)`))?.[1] ?? NaN);
  return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

// Each ingredient: ESM run by `node --input-type=module -e`, with D the build's dist/ URL and HOME
// a fresh directory; it writes "ready" once loaded (and listening), then idles.
const INGREDIENTS = {
  'bare node': ``,
  'node:sqlite, a database open': `
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(HOME + '/x.db'); db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (a)');`,
  'the registry (Registry.open)': `
    const { Registry } = await import(D + 'core/registry/registry.js');
    Registry.open(HOME);`,
  'node:net server on a unix socket': `
    const { createServer } = await import('node:net');
    await new Promise((r) => createServer(() => {}).listen(HOME + '/s.sock', r));`,
  'node:http server on a unix socket, ESM import': `
    const { createServer } = await import('node:http');
    await new Promise((r) => createServer(() => {}).listen(HOME + '/s.sock', r));`,
  // what berthd does (process.getBuiltinModule, the same exports object): the namespace's lazy getters (undici, http2) are not touched
  'node:http server on a unix socket, require': `
    const { createRequire } = await import('node:module');
    const { createServer } = createRequire(import.meta.url)('node:http');
    await new Promise((r) => createServer(() => {}).listen(HOME + '/s.sock', r));`,
  'the supervisor modules': `
    await import(D + 'core/supervisor/supervisor.js');`,
  'the socket API (server.ts)': `
    await import(D + 'daemon/server.js');`,
  'the dashboard route, closed': `
    await import(D + 'daemon/dashboard-route.js');`,
  'the app layer (all of src/app)': `
    const { readdirSync } = await import('node:fs');
    for (const f of readdirSync(new URL('app/', D))) if (f.endsWith('.js')) await import(D + 'app/' + f);`,
  'koffi and the notify socket': `
    const { openNotifySocket } = await import(D + 'daemon/notify-socket.js');
    openNotifySocket(HOME + '/n.sock', () => {});`,
  // not a snippet: the daemon's entry as the build's client starts it, no services
  'the whole daemon, no services': null,
};

/** The daemon's entry in the build at root: the bundle where there is one (decision 0031). */
const daemonEntryOf = (root) => [join(root, 'dist/bundle/berthd.cjs'), join(root, 'dist/daemon/main.js')].find((f) => existsSync(f));

async function waitReady(child, marker, what) {
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready in 30 s\n${out}${err}`)), 30_000);
    child.stdout.on('data', (d) => { out += d; if (out.includes(marker)) { clearTimeout(timer); resolve(); } });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what}: exited ${code}\n${out}${err}`)); });
  });
}

async function stop(child) {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

/** One ingredient of the build at `root`, in a fresh process: its memory once settled. */
async function ingredient(root, name, i) {
  const home = join(work, `ing-${i}-${Object.keys(INGREDIENTS).indexOf(name)}-${root === ROOT ? 'this' : 'base'}`);
  mkdirSync(home, { mode: 0o700 });
  const code = `const D = ${JSON.stringify(pathToFileURL(join(root, 'dist/')).href)}; const HOME = ${JSON.stringify(home)};
${INGREDIENTS[name]}
process.stdout.write('ready\\n'); setInterval(() => {}, 1e9);`;
  const whole = INGREDIENTS[name] === null;
  const args = whole ? [daemonEntryOf(root)] : ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', code];
  const child = spawn(node, args, { env: { ...baseEnv, BERTH_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child.pid);
  try {
    await waitReady(child, whole ? 'serving' : 'ready', name);
    await sleep(SETTLE_MS);
    return memKiB(child.pid);
  } finally {
    await stop(child);
  }
}

function berthAt(root, env, ...args) {
  const r = spawnSync(node, [join(root, 'dist/bundle/main.js'), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A fresh daemon of the build at `root` with `services` sleeps, settled: its memory. */
async function daemonWith(root, services, tag) {
  const env = { ...baseEnv, BERTH_HOME: join(work, `d-${tag}`) };
  try {
    const { pid } = JSON.parse(berthAt(root, env, 'daemon', 'start', '--json'));
    for (let s = 0; s < services; s++) berthAt(root, env, 'run', `s${s}`, '--no-wait', '--', 'sleep', '3600');
    await sleep(SETTLE_MS);
    return memKiB(pid);
  } finally {
    for (let s = 0; s < services; s++) spawnSync(node, [join(root, 'dist/bundle/main.js'), 'rm', `s${s}`], { env, stdio: 'ignore' });
    spawnSync(node, [join(root, 'dist/bundle/main.js'), 'daemon', 'stop'], { env, stdio: 'ignore' });
  }
}

/** pm2's God daemon with `services` sleeps, in a PM2_HOME of its own: its memory. */
async function pm2With(pm2, services, tag) {
  const env = { ...baseEnv, PM2_HOME: join(work, `pm2-${tag}`) };
  const run = (...args) => execFileSync(pm2, args, { env, stdio: 'ignore' });
  try {
    run('ping');
    for (let s = 0; s < services; s++) run('start', 'sleep', '--name', `p${s}`, '--', '3600');
    await sleep(SETTLE_MS);
    return memKiB(Number(readFileSync(join(env.PM2_HOME, 'pm2.pid'), 'utf8')));
  } finally {
    spawnSync(pm2, ['kill'], { env, stdio: 'ignore' });
  }
}


const summarize = (samples) => ({
  rssKiB: median(samples.map((s) => s.rss)),
  anonKiB: median(samples.map((s) => s.anon)),
  fileKiB: median(samples.map((s) => s.file)),
  samplesRssKiB: samples.map((s) => s.rss),
});

try {
  const base = process.env.BENCH_BASE_ROOT;
  const builds = base ? { base, this: ROOT } : { this: ROOT };
  // interleaved: run i of every ingredient of every build, then run i + 1
  const raw = {};
  for (let i = 0; i < RUNS; i++) {
    for (const name of Object.keys(INGREDIENTS)) {
      for (const [label, root] of Object.entries(builds)) (raw[label] ??= {})[name] ??= [];
      for (const [label, root] of Object.entries(builds)) raw[label][name].push(await ingredient(root, name, i));
    }
  }
  const ingredients = {};
  for (const [label, byName] of Object.entries(raw)) {
    ingredients[label] = {};
    const bare = median(byName['bare node'].map((s) => s.rss));
    for (const [name, samples] of Object.entries(byName)) ingredients[label][name] = { ...summarize(samples), overBareKiB: median(samples.map((s) => s.rss)) - bare };
  }
  // the whole daemon with SERVICES services, beside pm2's, interleaved
  const pm2 = installPm2(join(work, 'competitors'));
  const whole = Object.fromEntries([...Object.keys(builds), ...(pm2 ? ['pm2'] : [])].map((k) => [k, []]));
  for (let i = 0; i < DAEMON_RUNS; i++) {
    for (const [label, root] of Object.entries(builds)) whole[label].push(await daemonWith(root, SERVICES, `${label}-${i}`));
    if (pm2) whole.pm2.push(await pm2With(pm2, SERVICES, String(i)));
  }
  const daemons = Object.fromEntries(Object.entries(whole).map(([k, v]) => [k, summarize(v)]));
  for (const k of Object.keys(builds)) if (daemons.pm2) daemons[k].ratioToPm2 = Math.round((daemons[k].rssKiB / daemons.pm2.rssKiB) * 100) / 100;
  console.log(JSON.stringify({ runs: RUNS, daemonRuns: DAEMON_RUNS, settleMs: SETTLE_MS, services: SERVICES, ingredients, daemons }, null, 2));
} finally {
  for (const pid of started) try { process.kill(pid, 'SIGKILL'); } catch {}
  // services of these homes (and pm2's) that a failed step may have left: stopped by pid
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (environ.includes(`BERTH_HOME=${work}/`) || environ.includes(`PM2_HOME=${work}/`)) process.kill(Number(entry), 'SIGKILL');
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}
