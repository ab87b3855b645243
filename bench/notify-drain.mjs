#!/usr/bin/env node
// The NOTIFY_SOCKET drain's idle cost (issue 14, decision 0024): the daemon's notify socket is
// non-blocking and drained by a timer, so it costs CPU even when no service says anything.
// Opens the real socket (koffi, recvmsg) in a temporary directory, sends nothing, and measures
// CPU time (process.cpuUsage) over BENCH_NOTIFY_S seconds (default 10), against the same wait
// with no socket open (Node's own idle cost). Prints one JSON line; run by bench/run.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNotifySocket } from '../src/daemon/notify-socket.ts';

const SECONDS = Number(process.env.BENCH_NOTIFY_S ?? 10);
const work = mkdtempSync(join(tmpdir(), 'berth-bench-notify-'));

async function measure(open) {
  const socket = open ? openNotifySocket(join(work, 'notify.sock'), () => {}) : null;
  if (open && socket === null) return null;
  // a keep-alive for the wait: the drain's timer is unref'd
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  socket?.close();
  return { cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 10000) / 100, cpuMs: Math.round((cpu.user + cpu.system) / 100) / 10, wallMs: Math.round(wallMs) };
}

try {
  const baseline = await measure(false);
  const drained = await measure(true);
  process.stdout.write(`${JSON.stringify({ seconds: SECONDS, baseline, drained })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
