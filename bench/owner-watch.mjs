#!/usr/bin/env node
// The owner watch's CPU cost (issue 13, decision 0017): 200 session-scoped service records in a
// real registry, their owners spread over 50 live sessions (real `sleep` processes), the watch
// ticking every second for BENCH_WATCH_S seconds (default 10) with the real /proc identity
// check. CPU time (process.cpuUsage) over wall time, once for quiet ticks (no record changes:
// one stat read per session) and once with a record change before every tick (the session
// list is read again from the registry each time, the worst case). Prints one JSON line.
// Run by bench/run.mjs; everything it starts is stopped by pid.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdentity, isAlive } from '../src/core/identity.ts';
import { Registry } from '../src/core/registry/registry.ts';
import { registryStore, systemClock } from '../src/core/supervisor/deps.ts';
import { OwnerWatch, OWNER_POLL_MS } from '../src/core/supervisor/owner-watch.ts';

const SERVICES = 200;
const SESSIONS = 50;
const SECONDS = Number(process.env.BENCH_WATCH_S ?? 10);
const work = mkdtempSync(join(tmpdir(), 'berth-bench-watch-'));
const sessions = Array.from({ length: SESSIONS }, () => spawn('sleep', ['3600'], { stdio: 'ignore' }));

async function measure(registry, churn) {
  let ticks = 0;
  const store = registryStore(registry);
  const watch = new OwnerWatch({ clock: systemClock, store, isAlive: (id) => (ticks++, isAlive(id)), reap: async () => {} });
  if (churn) {
    const t = setInterval(() => watch.invalidate(), OWNER_POLL_MS);
    setTimeout(() => clearInterval(t), SECONDS * 1000);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await watch.start();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  watch.stop();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  return { cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 10000) / 100, cpuMs: Math.round((cpu.user + cpu.system) / 100) / 10, wallMs: Math.round(wallMs), identityChecks: ticks, sessionsWatched: watch.sessions().length };
}

try {
  await new Promise((r) => setTimeout(r, 100));
  const identities = sessions.map((c) => readIdentity(c.pid));
  const registry = Registry.open(join(work, 'home'));
  const store = registryStore(registry);
  for (let i = 0; i < SERVICES; i++) {
    const id = identities[i % SESSIONS];
    store.save({
      spec: { name: `p/s${i}`, argv: ['sleep', '3600'], cwd: '/', env: {}, port: { kind: 'none' }, health: null, restart: 'never', maxRestarts: null, purpose: null, ephemeral: true, onConflict: 'refuse', locks: [] },
      state: 'running', identity: { pid: process.pid, startTicks: 0, bootId: '' }, instance: `m${i}`, port: null,
      owner: { session: `claude:${id.pid}:${id.startTicks}`, source: 'agent', agent: 'claude', process: id, user: 'bench' },
      restarts: 0, lastExit: null, env: {}, startedAt: Date.now(), healthySince: Date.now(), detail: null, createdAt: Date.now(),
    }, Date.now());
  }
  const quiet = await measure(registry, false);
  const churn = await measure(registry, true);
  registry.close();
  process.stdout.write(`${JSON.stringify({ services: SERVICES, sessions: SESSIONS, seconds: SECONDS, intervalMs: OWNER_POLL_MS, quiet, churn })}\n`);
} finally {
  for (const c of sessions) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
