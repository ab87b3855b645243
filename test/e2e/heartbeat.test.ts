// Heartbeats (issue 14, item 1): berth gives every service a NOTIFY_SOCKET and understands the
// sd_notify datagrams it sends (a python service using only the standard library's socket):
// READY=1 for `health: notify`, WATCHDOG=1 for `--watchdog`, STATUS= in ps. A sender outside
// the service's instance tree is ignored; `berth beat` from a shell service keeps it alive.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { berth, CLI, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { waitFor } from '../helpers/wait.ts';

const NOTIFY = fileURLToPath(new URL('../fixtures/notify.py', import.meta.url));
const TEST_TIMEOUT_MS = 40_000;

async function service(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  return ok(await berth(['ps', '--all', '--json'], { env })).json().services[0];
}

test('a python sd_notify service: ready on READY=1, STATUS= in ps, restarted by its 1 s watchdog when it stops beating', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t, 'berth-hb-');
  const stop = join(dir, 'stop');
  const r = ok(await berth(['run', 'hb', '--health', 'notify', '--watchdog', '1s', '--restart', 'always', '--env', `STOP_FILE=${stop}`, '--json', '--', 'python3', NOTIFY], { env }));
  const first = r.json().service;
  assert.equal(first.state, 'healthy', r.toString());
  const beating = await waitFor(async () => {
    const s = await service(env);
    return typeof s['status'] === 'string' && /^beat \d+$/.test(s['status']) ? s : undefined;
  }, { what: 'STATUS=beat N in ps --json' });
  assert.equal(beating['pid'], first.pid);
  writeFileSync(stop, '');
  const started = Date.now();
  const second = await waitFor(async () => {
    const s = await service(env);
    return s['pid'] !== null && s['pid'] !== first.pid && s['state'] === 'healthy' ? s : undefined;
  }, { timeoutMs: 15_000, what: 'a new instance after the watchdog' });
  // hung at most 1 s after its last beat, stopped (2 s grace at most), restarted with backoff
  assert.ok(Date.now() - started < 10_000);
  assert.equal(second['restarts'], 1);
  const events = ok(await berth(['events', '--json'], { env })).json();
  const list = (Array.isArray(events) ? events : events.events) as Array<{ verb: string; subject: string }>;
  assert.ok(list.some((e) => e.verb === 'watchdog' && e.subject === first.fullName), JSON.stringify(list.map((e) => e.verb)));
  // the human ps shows the status too
  const ps = ok(await berth(['ps'], { env })).stdout;
  assert.match(ps, /serving pid \d+|beat \d+/);
});

test('a READY=1 from a process outside the tree is ignored; the tree\'s own STATUS= after it is taken', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t, 'berth-hb-');
  const go = join(dir, 'go');
  const script = `import os,socket,time\nwhile not os.path.exists(${JSON.stringify(go)}): time.sleep(0.02)\na=os.environ['NOTIFY_SOCKET']\na='\\0'+a[1:] if a.startswith('@') else a\nsocket.socket(socket.AF_UNIX,socket.SOCK_DGRAM).sendto(b'STATUS=own',a)\ntime.sleep(60)\n`;
  const r = ok(await berth(['run', 'quiet', '--health', 'notify', '--no-wait', '--json', '--', 'python3', '-c', script], { env }));
  const svc = r.json().service;
  const address = (await waitFor(() => {
    try {
      const environ = execFileSync('cat', [`/proc/${svc.pid}/environ`]).toString().split('\0');
      return environ.find((e) => e.startsWith('NOTIFY_SOCKET='))?.slice('NOTIFY_SOCKET='.length);
    } catch {
      return undefined;
    }
  }, { what: 'NOTIFY_SOCKET in the service environment' }))!;
  // a stranger (this test's own python, not of the service's tree) claims it is ready and alive
  execFileSync('python3', ['-c', `import socket,sys\na=sys.argv[1]\na='\\0'+a[1:] if a.startswith('@') else a\nsocket.socket(socket.AF_UNIX,socket.SOCK_DGRAM).sendto(b'READY=1\\nWATCHDOG=1\\nSTATUS=stranger',a)`, address]);
  writeFileSync(go, '');
  // the tree's datagram was sent after the stranger's: once it shows, the stranger's was handled
  const s = await waitFor(async () => {
    const v = await service(env);
    return v['status'] === 'own' ? v : v['status'] === 'stranger' ? v : undefined;
  }, { what: 'the service\'s own STATUS=' });
  assert.equal(s['status'], 'own');
  assert.equal(s['state'], 'starting');
});

test('berth beat from a shell service keeps its watchdog fed; --status shows in ps', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const loop = `n=0; while true; do n=$((n+1)); "${process.execPath}" "${CLI}" beat --status "loop $n" || exit 9; sleep 0.2; done`;
  const r = ok(await berth(['run', 'sh-beat', '--watchdog', '1s', '--restart', 'always', '--json', '--', 'sh', '-c', loop], { env }));
  const pid = r.json().service.pid;
  // alive and beating well past three watchdog intervals, same pid, no restart
  const s = await waitFor(async () => {
    const v = await service(env);
    assert.equal(v['pid'], pid, JSON.stringify(v));
    assert.equal(v['restarts'], 0);
    return (v['uptimeMs'] as number) > 3_500 && typeof v['status'] === 'string' && (v['status'] as string).startsWith('loop ') ? v : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200, what: 'a beating shell service past 3.5 s' });
  assert.match(s['status'] as string, /^loop \d+$/);
});

test('ps shows the watchdog (watchdogMs in --json, in the HEALTH column) and, after a watchdog kill, why in the detail', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  // it never beats: hung 1 s after its start, stopped, and (restart: never) left exited
  const r = ok(await berth(['run', 'mute', '--watchdog', '1s', '--restart', 'never', '--json', '--', 'sleep', '60'], { env }));
  assert.equal(r.json().service.watchdogMs, 1000, r.toString());
  assert.match(ok(await berth(['ps', 'mute'], { env })).stdout, /port, watchdog 1s|-, watchdog 1s/);
  const gone = await waitFor(async () => {
    const s = await service(env);
    return s['state'] === 'exited' ? s : undefined;
  }, { timeoutMs: 15_000, what: 'mute exited after its watchdog' });
  assert.equal(gone['watchdogMs'], 1000);
  assert.equal(gone['detail'], 'hung: no WATCHDOG=1 within 1000 ms (killed by SIGTERM)');
  assert.match(ok(await berth(['ps', '--all'], { env })).stdout, /mute: hung: no WATCHDOG=1 within 1000 ms \(killed by SIGTERM\)/);
  const plain = ok(await berth(['run', 'plain', '--json', '--', 'sleep', '60'], { env })).json().service;
  assert.equal(plain.watchdogMs, null);
});
