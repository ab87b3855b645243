#!/usr/bin/env node
// The daemon's RSS with the dashboard never opened, then opened and used (each /api document
// fetched once, a change stream open): the page's code is loaded only on the first
// `berth dashboard`, so a daemon whose page is never opened must not grow (goal: < 5 MiB over
// the daemon before the dashboard existed). Prints one JSON document; run by bench/run.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/bundle/main.js');
const work = mkdtempSync(join(tmpdir(), 'berth-bench-dash-'));
const env = { ...process.env, BERTH_HOME: join(work, 'home'), BERTH_SESSION: 'bench' };
const berth = (...args) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')} → ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
};
const rssKiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s*(\d+)/)[1]);
// the daemon settles (adoption, the first GC) before it is measured
const settle = () => new Promise((r) => setTimeout(r, 1500));

try {
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
  console.log(JSON.stringify({ neverOpenedKiB, openedKiB, growthKiB: openedKiB - neverOpenedKiB }));
} finally {
  spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
