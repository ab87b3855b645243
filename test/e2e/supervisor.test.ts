// berth run / ps / logs / stop / restart / rm against real processes and a real daemon.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { pidsWithArgv } from '../helpers/proc-table.ts';
import { isRunning, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const node = process.execPath;

interface Service {
  name: string;
  state: string;
  pid: number | null;
  port: number | null;
  restarts: number;
  lastExit: { code: number | null; signal: string | null } | null;
  detail: string | null;
  owner: { session: string } | null;
  purpose: string | null;
  logPath: string;
}


/** A daemon home, every call in project p: events and leases name p/<service> (decision 0016). */
function home(t: Parameters<typeof daemonHome>[0]): ReturnType<typeof daemonHome> {
  const h = daemonHome(t);
  return { ...h, env: { ...h.env, BERTH_PROJECT: 'p' } };
}

async function ps(env: NodeJS.ProcessEnv): Promise<Service[]> {
  return ok(await berth(['ps', '--all', '--json'], { env })).json().services;
}

async function service(env: NodeJS.ProcessEnv, name: string): Promise<Service> {
  const s = (await ps(env)).find((x) => x.name === name);
  assert.ok(s, `service ${name} in ps`);
  return s;
}

async function listenerPids(env: NodeJS.ProcessEnv, port: number): Promise<number[]> {
  return ok(await berth(['who', String(port), '--json'], { env })).json().listeners.flatMap((l: { processes: Array<{ pid: number }> }) => l.processes.map((p) => p.pid));
}

test('run is idempotent, ps and logs show it, a new command replaces it, stop/restart/rm', async (t) => {
  const { env } = home(t);
  const first = ok(await berth(['run', 'web', '--port', 'auto', '--purpose', 'the web ui', '--json', '--', node, SERVICE, '--http'], { env })).json();
  assert.equal(first.outcome, 'started');
  assert.equal(first.service.state, 'healthy');
  const { pid, port } = first.service as Service;
  assert.ok(pid && port);
  assert.deepEqual(await listenerPids(env, port!), [pid]);

  const again = ok(await berth(['run', 'web', '--port', 'auto', '--', node, SERVICE, '--http'], { env }));
  assert.equal(again.stdout, `already running (pid ${pid}) on :${port}\n`);
  assert.equal(pidsWithArgv([node, SERVICE, '--http'], `BERTH_HOME=${env.BERTH_HOME}`).length, 1, 'one process');

  const listed = await service(env, 'web');
  assert.deepEqual([listed.state, listed.pid, listed.port, listed.purpose, listed.owner?.session], ['healthy', pid, port, 'the web ui', env.BERTH_SESSION]);
  const table = ok(await berth(['ps'], { env })).stdout;
  assert.match(table, new RegExp(`web\\s+healthy\\s+${pid}\\s+${port}\\s+port\\s+${env.BERTH_SESSION}`));

  await waitFor(() => readFileSync(listed.logPath, 'utf8').includes(`listening ${port}`), { what: 'the log line' });
  const logs = ok(await berth(['logs', 'web', '-n', '5'], { env })).stdout;
  assert.match(logs, new RegExp(`pid ${pid}\\nlistening ${port}`));

  const replaced = ok(await berth(['run', 'web', '--port', 'auto', '--json', '--', node, SERVICE, '--http', '--v2'], { env })).json();
  assert.equal(replaced.outcome, 'replaced');
  assert.notEqual(replaced.service.pid, pid);
  assert.equal(replaced.service.port, port, 'the lease is sticky');
  assert.ok(!isRunning(pid!), 'the old process is gone');

  const restarted = ok(await berth(['restart', 'web', '--json'], { env })).json();
  assert.notEqual(restarted.service.pid, replaced.service.pid);
  assert.equal(restarted.service.state, 'healthy');

  ok(await berth(['stop', 'web'], { env }));
  const stopped = await service(env, 'web');
  assert.deepEqual([stopped.state, stopped.pid], ['stopped', null]);
  assert.deepEqual(await listenerPids(env, port!), []);
  assert.ok(!isRunning(restarted.service.pid));
  assert.match(ok(await berth(['ps'], { env })).stdout, /No running services \(1 stopped/);

  ok(await berth(['rm', 'web'], { env }));
  assert.deepEqual(await ps(env), []);
  const lease = await berth(['port', '--release', 'web'], { env });
  assert.equal(lease.code, 4, 'the lease went with it');
  const verbs = ok(await berth(['events', '--json'], { env })).json().events.map((e: { verb: string }) => e.verb);
  for (const v of ['start', 'stop', 'rm']) assert.ok(verbs.includes(v), `${v} in ${verbs}`);
});

test('a service killed with SIGKILL comes back with a new pid; a crash loop backs off with growing delays', async (t) => {
  const { env } = home(t);
  const first = ok(await berth(['run', 'api', '--port', 'auto', '--json', '--', node, SERVICE, '--http'], { env })).json().service as Service;
  process.kill(first.pid!, 'SIGKILL');
  const back = await waitFor(async () => {
    const s = await service(env, 'api');
    return s.state === 'healthy' && s.pid !== null && s.pid !== first.pid ? s : undefined;
  }, { what: 'api to come back' });
  assert.equal(back.restarts, 1);
  assert.equal(back.lastExit?.signal, 'SIGKILL');
  assert.equal(back.port, first.port);

  const crash = await berth(['run', 'crash', '--json', '--', node, SERVICE, '--exit', '3'], { env });
  assert.equal(crash.code, 1, crash.toString());
  assert.equal(crash.json().error.code, 'service_exited');
  const looping = await waitFor(async () => {
    const s = await service(env, 'crash');
    return s.restarts >= 4 ? s : undefined;
  }, { timeoutMs: 20_000, what: 'four restarts' });
  assert.equal(looping.lastExit?.code, 3);
  const starts = ok(await berth(['events', '--json'], { env })).json().events
    .filter((e: { verb: string; subject: string }) => e.subject === 'p/crash' && (e.verb === 'start' || e.verb === 'restart'))
    .map((e: { at: string }) => Date.parse(e.at));
  const gaps = starts.slice(1).map((at: number, i: number) => at - starts[i]);
  t.diagnostic(`gaps between starts: ${gaps.join(', ')} ms`);
  assert.ok(gaps.length >= 4);
  assert.ok(gaps[3] > gaps[0], `the delays grow: ${gaps}`);
  assert.match(ok(await berth(['ps'], { env })).stdout, /crash: exit code 3; restarting in \d+ ms/);
});

test('an exit 0 under on-failure is not restarted; --max-restarts gives up', async (t) => {
  const { env } = home(t);
  await berth(['run', 'once', '--', node, SERVICE, '--exit', '0'], { env });
  await waitFor(async () => (await service(env, 'once')).state === 'exited', { what: 'once to be exited' });
  assert.equal((await service(env, 'once')).restarts, 0);
  await berth(['run', 'flaky', '--max-restarts', '2', '--', node, SERVICE, '--exit', '1'], { env });
  const failed = await waitFor(async () => {
    const s = await service(env, 'flaky');
    return s.state === 'failed' ? s : undefined;
  }, { timeoutMs: 15_000, what: 'flaky to give up' });
  assert.equal(failed.restarts, 2);
});

test('kill -9 of berthd leaves services running; the next ps adopts them, no duplicates, logs go on', async (t) => {
  const { env } = home(t);
  const a = ok(await berth(['run', 'a', '--port', 'auto', '--json', '--', node, SERVICE, '--http', '--a'], { env })).json().service as Service;
  const b = ok(await berth(['run', 'b', '--json', '--', node, SERVICE, '--b'], { env })).json().service as Service;
  const daemon = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  process.kill(daemon.pid, 'SIGKILL');
  await waitFor(() => !isRunning(daemon.pid), { what: 'the daemon to die' });
  assert.ok(isRunning(a.pid!) && isRunning(b.pid!), 'services outlive the daemon');

  const after = await ps(env);
  assert.deepEqual(after.map((s) => [s.name, s.pid]), [['a', a.pid], ['b', b.pid]]);
  const newDaemon = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  assert.notEqual(newDaemon.pid, daemon.pid);
  assert.equal(pidsWithArgv([node, SERVICE, '--http', '--a']).length, 1);
  ok(await berth(['run', 'a', '--port', 'auto', '--', node, SERVICE, '--http', '--a'], { env }));
  assert.equal(pidsWithArgv([node, SERVICE, '--http', '--a']).length, 1, 'run after adoption starts nothing new');

  // still supervised: killed after adoption, it comes back, logging into the same file
  process.kill(a.pid!, 'SIGKILL');
  const back = await waitFor(async () => {
    const s = await service(env, 'a');
    return s.state === 'healthy' && s.pid !== null && s.pid !== a.pid ? s : undefined;
  }, { what: 'a to come back under the new daemon' });
  const log = readFileSync(back.logPath, 'utf8');
  assert.ok(log.includes(`pid ${a.pid}`) && log.includes(`pid ${back.pid}`), 'one log file across daemons');
  const verbs = ok(await berth(['events', '--json'], { env })).json().events.map((e: { verb: string; subject: string }) => `${e.verb}:${e.subject}`);
  assert.ok(verbs.includes('adopt:p/a') && verbs.includes('adopt:p/b'), `${verbs}`);
});

test('stop ends the whole tree (a grandchild listener) and frees the port; TERM-ignorers are killed after the grace', async (t) => {
  const { env } = home(t);
  const tree = ok(await berth(['run', 'tree', '--port', 'auto', '--json', '--', node, SERVICE, '--grandchild', '--http'], { env })).json().service as Service;
  const [grandchild] = await listenerPids(env, tree.port!);
  assert.ok(grandchild && grandchild !== tree.pid, 'ready only once the grandchild listens');
  ok(await berth(['stop', 'tree'], { env }));
  assert.ok(!isRunning(tree.pid!) && !isRunning(grandchild), 'the whole tree is gone');
  assert.deepEqual(await listenerPids(env, tree.port!), []);

  const stubborn = ok(await berth(['run', 'stubborn', '--json', '--', node, SERVICE, '--ignore-term'], { env })).json().service as Service;
  const t0 = Date.now();
  const stop = ok(await berth(['stop', 'stubborn', '--grace', '1s'], { env }));
  assert.ok(Date.now() - t0 >= 1000, 'waited for the grace');
  assert.ok(!isRunning(stubborn.pid!), stop.toString());
  const ev = ok(await berth(['events', '--json'], { env })).json().events.find((e: { verb: string; subject: string }) => e.verb === 'stop' && e.subject === 'p/stubborn');
  assert.equal(ev.details.forced, true);
});

test('a stranger on the port: exit 3 naming it; an orphan of the same service on the port: replaced', async (t) => {
  const { env } = home(t);
  const lease = ok(await berth(['port', 'web', '--json'], { env })).json();
  const stranger = start(t, node, [LISTEN, '--port', String(lease.port)]);
  await stranger.line(/listening/);
  const refused = await berth(['run', 'web', '--port', 'auto', '--', node, SERVICE, '--http'], { env });
  assert.equal(refused.code, 3, refused.toString());
  assert.match(refused.stderr, new RegExp(`port ${lease.port} is held by pid ${stranger.pid} \\(.*listen\\.mjs`));
  assert.match(refused.stderr, new RegExp(`berth who ${lease.port}`));
  const json = (await berth(['run', 'web', '--port', 'auto', '--json', '--', node, SERVICE, '--http'], { env })).json();
  assert.equal(json.error.code, 'port_held');
  assert.equal(json.error.details.holders[0].pid, stranger.pid);
  await stranger.stop();

  // the service's leader dies; its grandchild keeps the port (an orphan in its process group)
  const svc = ok(await berth(['run', 'web', '--port', 'auto', '--json', '--', node, SERVICE, '--grandchild', '--http'], { env })).json().service as Service;
  const [orphan] = await listenerPids(env, svc.port!);
  process.kill(svc.pid!, 'SIGKILL');
  const back = await waitFor(async () => {
    const s = await service(env, 'web');
    return s.state === 'healthy' && s.pid !== null && s.pid !== svc.pid ? s : undefined;
  }, { what: 'web to be restarted in place of its orphan' });
  assert.ok(!isRunning(orphan!), 'the orphan was stopped');
  const holders = await listenerPids(env, back.port!);
  assert.ok(!holders.includes(orphan!) && holders.length === 1);
  const kill = ok(await berth(['events', '--json'], { env })).json().events.find((e: { verb: string }) => e.verb === 'kill');
  assert.match(kill.details.reason, /earlier instance/);
});

test('a squatter answering HTTP 200 on the port does not make the service healthy', async (t) => {
  const { env } = home(t);
  const args = ['run', 'slow', '--port', 'auto', '--health', 'http://127.0.0.1:$PORT/', '--', node, SERVICE];
  // The service starts but never listens; then a stranger takes its port and answers HTTP.
  const started = ok(await berth([...args.slice(0, 1), '--no-wait', '--json', ...args.slice(1)], { env })).json().service as Service;
  const squatter = start(t, node, [LISTEN, '--port', String(started.port)], { env: { ...env, BERTH_SESSION: 'other' } });
  await squatter.line(/listening/);
  const res = await fetch(`http://127.0.0.1:${started.port}/`);
  assert.equal(res.status, 200, 'the squatter answers');
  await res.body?.cancel();
  const r = await berth([...args.slice(0, 1), '--timeout', '2s', ...args.slice(1)], { env });
  assert.equal(r.code, 1, r.toString());
  assert.match(r.stderr, /"p\/slow" did not become ready within 2s \(waiting for http:\/\/127\.0\.0\.1:\$PORT\/\)/);
  const s = await service(env, 'slow');
  assert.equal(s.state, 'starting');
  assert.equal(s.pid, started.pid);
});

test('50 services started and stopped in one test, nothing left behind', async (t) => {
  const { env } = home(t);
  const names = Array.from({ length: 50 }, (_, i) => `s${i}`);
  for (const name of names) ok(await berth(['run', name, '--no-wait', '--', node, SERVICE, '--fifty'], { env }));
  const running = await waitFor(async () => {
    const list = await ps(env);
    return list.filter((s) => s.state === 'running').length === 50 ? list : undefined;
  }, { timeoutMs: 30_000, what: '50 running' });
  assert.equal(pidsWithArgv([node, SERVICE, '--fifty']).length, 50);
  for (const name of names) ok(await berth(['stop', name], { env }));
  assert.equal(pidsWithArgv([node, SERVICE, '--fifty']).length, 0);
  assert.ok(running.every((s) => !isRunning(s.pid!)));
});
