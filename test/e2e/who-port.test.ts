// berth who <port> against real listeners.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, CLI } from '../helpers/cli.ts';
import { tempHome } from '../helpers/home.ts';
import { hasCommand, start } from '../helpers/procs.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const hasPython = hasCommand('python3');

interface WhoProcess {
  pid: number;
  command: string;
  cwd: string | null;
  user: string;
  startedAt: string;
  identity: { pid: number; startTicks: number; bootId: string };
}
interface WhoListener {
  protocol: string;
  family: string;
  address: string;
  port: number;
  processes: WhoProcess[];
}

async function who(env: NodeJS.ProcessEnv, port: number): Promise<WhoListener[]> {
  const r = await berth(['who', String(port), '--json'], { env });
  assert.equal(r.code, 0, r.toString());
  return r.json().listeners as WhoListener[];
}

test('a node listener on 127.0.0.1 is named with pid, command, cwd, user and start time', async (t) => {
  const { env } = tempHome(t);
  const server = start(t, process.execPath, [LISTEN, '--host', '127.0.0.1'], { env });
  const port = Number((await server.line(/listening (\d+)/))[1]);
  const listeners = await who(env, port);
  assert.equal(listeners.length, 1);
  const [l] = listeners;
  assert.deepEqual([l!.protocol, l!.family, l!.address, l!.port], ['tcp', 'ipv4', '127.0.0.1', port]);
  assert.deepEqual(l!.processes.map((p) => p.pid), [server.pid]);
  const p = l!.processes[0]!;
  assert.match(p.command, /listen\.mjs --host 127\.0\.0\.1/);
  assert.equal(p.cwd, process.cwd());
  assert.ok(Math.abs(Date.parse(p.startedAt) - Date.now()) < 60_000, `startedAt ${p.startedAt} is recent`);
  assert.equal(p.identity.pid, server.pid);

  const text = await berth(['who', `:${port}`], { env });
  assert.equal(text.code, 0, text.toString());
  assert.match(text.stdout, new RegExp(`tcp 127\\.0\\.0\\.1:${port}`));
  assert.match(text.stdout, new RegExp(`${server.pid}\\s+\\S+\\s+\\S+ ago`));
  assert.match(text.stdout, /not reserved or leased by berth/);
  assert.match(text.stdout, new RegExp(`berth free ${port}`));
  assert.equal((await berth(['who', String(port), '--json'], { env: { ...env } })).json().owners[server.pid].session, env.BERTH_SESSION, 'the session it runs for');
});

test('a node listener on :: (dual stack) is found on IPv6', async (t) => {
  const { env } = tempHome(t);
  const server = start(t, process.execPath, [LISTEN, '--host', '::']);
  const port = Number((await server.line(/listening (\d+)/))[1]);
  const listeners = await who(env, port);
  assert.equal(listeners.length, 1, JSON.stringify(listeners));
  assert.equal(listeners[0]!.family, 'ipv6');
  assert.equal(listeners[0]!.address, '::');
  assert.deepEqual(listeners[0]!.processes.map((p) => p.pid), [server.pid]);
});

test('python3 -m http.server on 0.0.0.0 is found', { skip: !hasPython && 'python3 not installed' }, async (t) => {
  const { env } = tempHome(t);
  // python picks the port itself (0) and prints it
  const server = start(t, 'python3', ['-u', '-m', 'http.server', '0', '--bind', '0.0.0.0']);
  const port = Number((await server.line(/port (\d+)/))[1]);
  const listeners = await who(env, port);
  assert.equal(listeners.length, 1);
  assert.equal(listeners[0]!.address, '0.0.0.0');
  assert.equal(listeners[0]!.processes[0]!.pid, server.pid);
  assert.match(listeners[0]!.processes[0]!.command, /python3.* -m http\.server 0/);
});

test('a listener started by a grandchild is attributed to the grandchild', async (t) => {
  const { env } = tempHome(t);
  const shell = start(t, 'sh', ['-c', `"${process.execPath}" "${LISTEN}" & echo "grandchild $!"; wait`]);
  const grandchild = Number((await shell.line(/grandchild (\d+)/))[1]);
  const port = Number((await shell.line(/listening (\d+)/))[1]);
  t.after(() => process.kill(grandchild, 'SIGTERM'));
  const listeners = await who(env, port);
  assert.deepEqual(listeners[0]!.processes.map((p) => p.pid), [grandchild]);
  assert.notEqual(grandchild, shell.pid);
});

test('two processes sharing one listening socket are both named', async (t) => {
  const { env } = tempHome(t);
  const server = start(t, process.execPath, [LISTEN, '--share']);
  const port = Number((await server.line(/listening (\d+)/))[1]);
  const child = Number((await server.line(/child (\d+)/))[1]);
  await server.line(/serving fd 3/);
  const listeners = await who(env, port);
  assert.equal(listeners.length, 1, 'one socket');
  assert.deepEqual(listeners[0]!.processes.map((p) => p.pid).sort((a, b) => a - b), [server.pid, child].sort((a, b) => a - b));
});

test('a bound UDP socket is found', async (t) => {
  const { env } = tempHome(t);
  const server = start(t, process.execPath, [LISTEN, '--udp']);
  const port = Number((await server.line(/listening (\d+)/))[1]);
  const listeners = await who(env, port);
  const udp = listeners.filter((l) => l.protocol === 'udp');
  assert.equal(udp.length, 1, JSON.stringify(listeners));
  assert.equal(udp[0]!.processes[0]!.pid, server.pid);
});

test('a port nobody listens on is reported free, and a leased port shows its lease', async (t) => {
  const env: NodeJS.ProcessEnv = { ...tempHome(t).env, BERTH_PROJECT: 'p' }; // the lease is p/web (decision 0016)
  const lease = await berth(['port', 'web', '--json'], { env });
  assert.equal(lease.code, 0, lease.toString());
  const port = lease.json().port as number;
  const free = await berth(['who', String(port)], { env });
  assert.equal(free.code, 0, free.toString());
  assert.match(free.stdout, new RegExp(`nothing listens on :${port}`));
  assert.match(free.stdout, /lease "p\/web" by test-\d+.*nothing listens yet/);

  // the owner's own session listening: ok; a process of another session: a conflict
  const mine = start(t, process.execPath, [LISTEN, '--port', String(port)], { env });
  await mine.line(/listening/);
  const ok = (await berth(['who', String(port), '--json'], { env })).json();
  assert.equal(ok.claim.status, 'ok', JSON.stringify(ok.claim));
  await mine.stop();
  const stranger = start(t, process.execPath, [LISTEN, '--port', String(port)], { env: { ...env, BERTH_SESSION: 'someone-else' } });
  await stranger.line(/listening/);
  const conflict = (await berth(['who', String(port), '--json'], { env })).json();
  assert.equal(conflict.claim.status, 'conflict');
  assert.deepEqual(conflict.claim.strangers, [stranger.pid]);
  const ports = await berth(['ports'], { env });
  assert.match(ports.stdout, new RegExp(`${port}\\s+p/web\\s+lease.*CONFLICT: pid ${stranger.pid}`));
});

test('a listener that holds a berth lock is named as such', async (t) => {
  const { env } = tempHome(t);
  const locked = start(t, process.execPath, [CLI, 'lock', 'srv', '--', process.execPath, LISTEN], { env });
  const port = Number((await locked.line(/listening (\d+)/))[1]);
  const answer = (await berth(['who', String(port), '--json'], { env })).json();
  const pid = answer.listeners[0].processes[0].pid as number;
  assert.deepEqual(answer.known[pid], [{ kind: 'lock', name: 'srv' }]);
  const text = await berth(['who', String(port)], { env });
  assert.match(text.stdout, new RegExp(`berth: pid ${pid} holds lock "srv"`));
});
