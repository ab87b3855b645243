// The daemon and the services it supervises must never be one tree (issue 14 trial): a heartbeat
// from inside a service does not start a daemon (a stopped daemon stays stopped), a daemon started
// on demand is not a descendant of its caller and carries none of a service's variables nor a
// caller's stray descriptors, a stopped record whose tree still holds a spared process can be
// removed, and a leader spared for being the daemon's ancestor is named as such.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { berth, CLI, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const LIBRARY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const DAEMON_MAIN = fileURLToPath(new URL('../../dist/bundle/berthd.cjs', import.meta.url));
const TEST_TIMEOUT_MS = 60_000;

function environOf(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) out.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return out;
}

function ancestorsOf(pid: number): number[] {
  const out: number[] = [];
  for (let p = pid; p > 1; ) {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    out.push(p);
  }
  return out;
}

async function daemonPid(env: NodeJS.ProcessEnv): Promise<number | null> {
  const s = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  return s.running ? s.pid : null;
}

test('a service beating through the library: the beat never starts a stopped daemon; one started later is not its descendant and carries none of its variables; stop and rm work', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { home, env } = daemonHome(t);
  const dir = tempDir(t, 'berth-dfs-');
  const state = join(dir, 'state');
  // every 100 ms: beat(), and write "<count> <ok | error code>"
  const script = `import { beat } from ${JSON.stringify(LIBRARY)};\nimport { writeFileSync } from 'node:fs';\nlet n = 0;\nfor (;;) {\n  let r = 'ok';\n  try { await beat(); } catch (e) { r = e.code ?? String(e); }\n  writeFileSync(${JSON.stringify(state)}, ++n + ' ' + r);\n  await new Promise((x) => setTimeout(x, 100));\n}\n`;
  const run = ok(await berth(['run', 'wk', '--json', '--', process.execPath, '--input-type=module', '-e', script], { env })).json();
  const leader = run.service.pid as number;
  const read = (): [number, string] => {
    const [n, r] = (existsSync(state) ? readFileSync(state, 'utf8') : '0 none').split(' ');
    return [Number(n), r ?? ''];
  };
  await waitFor(() => read()[1] === 'ok', { what: 'a beat the daemon accepted' });
  const notifySocket = environOf(leader).get('NOTIFY_SOCKET');
  assert.ok(notifySocket !== undefined && notifySocket.startsWith(home), String(notifySocket));

  ok(await berth(['daemon', 'stop'], { env }));
  const [after] = read();
  // several beats after the stop, each refused softly, and still no daemon
  const [, code] = await waitFor(() => (read()[0] >= after + 4 ? read() : undefined), { what: 'four beats after daemon stop' });
  assert.equal(code, 'daemon_unavailable');
  assert.equal(await daemonPid(env), null, 'a heartbeat started a daemon the user had stopped');

  const started = ok(await berth(['daemon', 'start', '--json'], { env })).json();
  const pid = started.pid as number;
  assert.ok(!ancestorsOf(pid).includes(leader), `the daemon (pid ${pid}) descends from the service (pid ${leader})`);
  const daemonEnv = environOf(pid);
  for (const name of ['BERTH_INSTANCE', 'BERTH_SERVICE', 'NOTIFY_SOCKET']) assert.equal(daemonEnv.get(name), undefined, `the daemon has ${name}`);
  // the new daemon rebinds the same NOTIFY_SOCKET the service was given (sd_notify clients keep it)
  assert.ok(statSync(notifySocket).isSocket());
  await waitFor(() => read()[1] === 'ok', { what: 'beats accepted again by the new daemon' });

  const stopped = ok(await berth(['stop', 'wk', '--json'], { env })).json();
  assert.equal(stopped.service.state, 'stopped', JSON.stringify(stopped));
  ok(await berth(['rm', 'wk'], { env }));
});

test('berth beat with no daemon: exit 1, daemon_unavailable, a hint, and no daemon started', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const r = await berth(['beat', '--json'], { env: { ...env, BERTH_SERVICE: 'nobody/here' } });
  assert.equal(r.code, 1, r.toString());
  const doc = JSON.parse(r.stdout || r.stderr);
  assert.equal(doc.error.code, 'daemon_unavailable', r.toString());
  assert.match(doc.error.hint, /berth daemon start/);
  assert.equal(await daemonPid(env), null);
});

test('rm of a stopped service whose tree still has a spared process (a daemon carrying its marker) forgets it', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const svc = ok(await berth(['run', 'wk2', '--json', '--', 'sleep', '600'], { env })).json().service;
  const marker = environOf(svc.pid).get('BERTH_INSTANCE');
  assert.ok(marker);
  ok(await berth(['daemon', 'stop'], { env }));
  // a daemon that is a process of wk2's instance tree (as one started from inside it by an older berth)
  const daemon = spawn(process.execPath, [DAEMON_MAIN], { env: { ...env, BERTH_INSTANCE: marker }, detached: true, stdio: 'ignore' });
  t.after(() => stopPid(daemon.pid!, 2000));
  daemon.unref();
  await waitFor(async () => (await daemonPid(env)) === daemon.pid, { what: 'the marked daemon answering' });
  const stopped = ok(await berth(['stop', 'wk2', '--json'], { env })).json();
  assert.equal(stopped.service.state, 'stopped', JSON.stringify(stopped));
  const rm = await berth(['rm', 'wk2', '--json'], { env });
  assert.equal(rm.code, 0, rm.toString());
  const ps = ok(await berth(['ps', '--all', '--json'], { env })).json();
  assert.deepEqual(ps.services, []);
  assert.equal(await daemonPid(env), daemon.pid);
});

test('a leader spared for being an ancestor of the daemon is named as the daemon\'s ancestor, not the shell\'s', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t, 'berth-dfs-');
  const go = join(dir, 'go');
  // the leader runs a daemon in the foreground once told to (after the test stopped the first one)
  const script = `while [ ! -e "${go}" ]; do sleep 0.05; done; "${process.execPath}" "${DAEMON_MAIN}"; exit 0`;
  const leader = ok(await berth(['run', 'host', '--json', '--', 'sh', '-c', script], { env })).json().service.pid as number;
  ok(await berth(['daemon', 'stop'], { env }));
  writeFileSync(go, '');
  const pid = await waitFor(async () => {
    const p = await daemonPid(env);
    return p !== null && ancestorsOf(p).includes(leader) ? p : undefined;
  }, { what: 'a daemon whose ancestor is the leader' });
  t.after(() => stopPid(pid, 2000));
  const r = await berth(['stop', 'host', '--json'], { env });
  assert.notEqual(r.code, 0, r.toString());
  assert.match(r.toString(), /ancestor of berth's daemon/);
  assert.doesNotMatch(r.toString(), /your shell or agent/);
});

test('a daemon started on demand keeps none of the caller\'s stray descriptors', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t, 'berth-dfs-');
  const stray = join(dir, 'stray');
  // the CLI inherits it as fd 251 (not close-on-exec), as from a shell that opened it (bash: dash has one-digit fds only)
  const child = spawn('bash', ['-c', 'exec "$0" "$1" daemon start --json 251>"$2"', process.execPath, CLI, stray], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0, out);
  const pid = (await daemonPid(env))!;
  const links = readdirSync(`/proc/${pid}/fd`).map((n) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${n}`);
    } catch {
      return '';
    }
  });
  assert.ok(!links.includes(stray), `the daemon holds the caller's ${stray}: ${links.join(', ')}`);
});

test('a verb run inside a service starts the daemon outside the service\'s tree, without its variables or TMPDIR', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { home, env } = daemonHome(t);
  const dir = tempDir(t, 'berth-dfs-');
  const go = join(dir, 'go');
  const script = `while [ ! -e "${go}" ]; do sleep 0.05; done; "${process.execPath}" "${CLI}" ps --json > /dev/null; while true; do sleep 0.1; done`;
  const leader = ok(await berth(['run', 'inner', '--json', '--', 'sh', '-c', script], { env })).json().service.pid as number;
  ok(await berth(['daemon', 'stop'], { env }));
  writeFileSync(go, '');
  const pid = await waitFor(() => daemonPid(env).then((p) => p ?? undefined), { what: 'the daemon the service\'s berth ps started' });
  assert.ok(!ancestorsOf(pid).includes(leader), `the daemon (pid ${pid}) descends from the service (pid ${leader})`);
  const daemonEnv = environOf(pid);
  for (const name of ['BERTH_INSTANCE', 'BERTH_SERVICE', 'NOTIFY_SOCKET']) assert.equal(daemonEnv.get(name), undefined, `the daemon has ${name}`);
  assert.ok(!(daemonEnv.get('TMPDIR') ?? '').startsWith(join(home, 'tmp')), `the daemon has the service's TMPDIR ${daemonEnv.get('TMPDIR')}`);
  const stopped = ok(await berth(['stop', 'inner', '--json'], { env })).json();
  assert.equal(stopped.service.state, 'stopped', JSON.stringify(stopped));
});

test('an sd_notify sender that ignores send errors (the docs\' python example) outlives a daemon restart and is heard by the next daemon on the same address', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t, 'berth-dfs-');
  const count = join(dir, 'count');
  const script = `import os, socket, time\naddr = os.environ.get("NOTIFY_SOCKET", "")\naddr = "\\0" + addr[1:] if addr.startswith("@") else addr\ndef notify(text):\n    try:\n        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:\n            s.sendto(text.encode(), addr)\n    except OSError:\n        pass\nn = 0\nwhile True:\n    n += 1\n    notify("STATUS=beat %d" % n)\n    open(${JSON.stringify(count)}, "w").write(str(n))\n    time.sleep(0.1)\n`;
  const pid = ok(await berth(['run', 'py', '--json', '--', 'python3', '-c', script], { env })).json().service.pid as number;
  const status = async (): Promise<number> => {
    const s = ok(await berth(['ps', '--all', '--json'], { env })).json().services[0];
    return Number(/^beat (\d+)$/.exec(String(s.status))?.[1] ?? 0);
  };
  await waitFor(async () => (await status()) > 0, { what: 'STATUS=beat N in ps' });
  ok(await berth(['daemon', 'stop'], { env }));
  const read = (): number => (existsSync(count) ? Number(readFileSync(count, 'utf8')) || 0 : 0);
  const atStop = read();
  await waitFor(() => read() >= atStop + 5, { what: 'five sends while no daemon runs' });
  ok(await berth(['daemon', 'start'], { env }));
  const after = read();
  await waitFor(async () => (await status()) > after, { what: 'a STATUS= sent to the new daemon' });
  const svc = ok(await berth(['ps', '--all', '--json'], { env })).json().services[0];
  assert.equal(svc.pid, pid, 'the sender survived the restart');
});
