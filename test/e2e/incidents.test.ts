// The incidents berth exists for, reproduced with real processes: a squatter on the webhook's
// port, a database file held by a crashed instance or a stranger, duplicate instances, bad
// configuration, and freeing and collecting safely.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, CLI, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { hasCommand, isRunning, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const AGENT = fileURLToPath(new URL('../fixtures/agents/codex.mjs', import.meta.url));
const node = process.execPath;
const hasPython = hasCommand('python3');


interface Svc {
  name: string;
  state: string;
  pid: number | null;
  detail: string | null;
}

async function svc(env: NodeJS.ProcessEnv, cwd: string, name: string): Promise<Svc> {
  const list = ok(await berth(['ps', '--all', '--json'], { env, cwd })).json().services as Svc[];
  const s = list.find((x) => x.name === name);
  assert.ok(s, `${name} in ${JSON.stringify(list)}`);
  return s;
}

function squat(t: Parameters<typeof start>[0], port: number, env: NodeJS.ProcessEnv) {
  // a debugging server of another agent session, exactly as in the incident report
  return start(t, 'python3', ['-u', '-m', 'http.server', String(port), '--bind', '127.0.0.1'], { env: { ...env, BERTH_SESSION: 'agent-b' } });
}

test('webhook, on_conflict: evict: a squatter on its port is evicted, the service is back, the eviction is on record', { skip: !hasPython && 'python3 not installed' }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const port = await freePort();
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  webhook:\n    run: [${node}, ${SERVICE}, --http]\n    port: ${port}\n    on_conflict: evict\n    restart: always\n`);
  ok(await berth(['up'], { env, cwd: dir }));
  const again = ok(await berth(['up'], { env, cwd: dir }));
  assert.match(again.stdout, /webhook: already running \(pid \d+\)/);
  ok(await berth(['stop', 'webhook'], { env, cwd: dir }));

  const squatter = squat(t, port, env);
  await squatter.line(/Serving HTTP/);
  const t0 = Date.now();
  const up = ok(await berth(['up', '--json'], { env, cwd: dir })).json();
  t.diagnostic(`back in ${Date.now() - t0} ms`);
  assert.equal(up.services[0].service.state, 'healthy');
  assert.ok(!isRunning(squatter.pid), 'the squatter is gone');
  const evict = ok(await berth(['events', '--json'], { env })).json().events.find((e: { verb: string }) => e.verb === 'evict');
  assert.ok(evict, 'an evict event');
  assert.equal(evict.details.pid, squatter.pid);
  assert.match(evict.details.command, /http\.server/);
  assert.equal(evict.details.owner, 'agent-b');
  assert.equal(evict.details.port, port);
});

test('webhook, on_conflict: refuse: ps shows the cause, doctor the conflict and its fix, up exits 3; free resolves it', { skip: !hasPython && 'python3 not installed' }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const port = await freePort();
  const flag = join(dir, 'crash');
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  webhook:\n    run: [${node}, ${SERVICE}, --http, --crash-if, ${flag}]\n    port: ${port}\n    restart: always\n`);
  const first = ok(await berth(['up', '--json'], { env, cwd: dir })).json().services[0].service;
  writeFileSync(flag, '');
  process.kill(first.pid, 'SIGKILL');
  // it crash-loops; meanwhile a stranger takes the port
  const squatter = squat(t, port, env);
  await squatter.line(/Serving HTTP/);
  rmSync(flag);
  const looping = await waitFor(async () => {
    const s = await svc(env, dir, 'webhook');
    return s.state === 'backoff' && /held by pid/.test(s.detail ?? '') ? s : undefined;
  }, { timeoutMs: 30_000, what: 'the cause in ps' });
  assert.match(looping.detail!, new RegExp(`port ${port} held by pid ${squatter.pid}: .*http\\.server`));
  assert.match(ok(await berth(['ps'], { env, cwd: dir })).stdout, new RegExp(`webhook: .*port ${port} held by pid ${squatter.pid}`));

  const doctor = await berth(['doctor', '--json'], { env, cwd: dir });
  assert.equal(doctor.code, 3, doctor.toString());
  const findings = doctor.json().findings as Array<{ severity: string; kind: string; fix: string }>;
  assert.ok(findings.some((f) => f.severity === 'error' && f.kind === 'port_conflict' && f.fix === `berth free ${port}`), JSON.stringify(findings));
  assert.ok(findings.some((f) => f.kind === 'crash_loop' && f.fix === `berth free ${port}`), JSON.stringify(findings));

  const up = await berth(['up'], { env, cwd: dir });
  assert.equal(up.code, 3, up.toString());
  assert.match(up.stderr, new RegExp(`port ${port} is held by pid ${squatter.pid} \\(.*http\\.server.*owner agent-b`));
  assert.match(up.stderr, new RegExp(`berth free ${port}`));

  ok(await berth(['free', String(port)], { env, cwd: dir }));
  assert.ok(!isRunning(squatter.pid));
  await waitFor(async () => (await svc(env, dir, 'webhook')).state === 'healthy', { timeoutMs: 40_000, what: 'webhook healthy after free' });
  assert.equal((await berth(['doctor'], { env, cwd: dir })).code, 0);
});

test('DuckDB: a declared lock held by a crashed earlier instance is replaced; by a stranger, refused with the holder named', { skip: !hasPython && 'python3 not installed' }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const db = join(dir, 'app.duckdb');
  writeFileSync(db, '');
  const hold = `import fcntl,time,sys\nf=open(sys.argv[1],'r+')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(600)\n`;
  writeFileSync(join(dir, 'hold.py'), hold);
  // the lock is taken by a child of the service's leader, which survives the leader's crash
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  worker:\n    run: sh -c 'python3 hold.py app.duckdb & wait'\n    locks: [app.duckdb]\n`);
  const first = ok(await berth(['up', '--json'], { env, cwd: dir })).json().services[0].service;
  const holderOf = async (): Promise<number[]> => ok(await berth(['who', db, '--json'], { env })).json().holders.map((h: { process: { pid: number } }) => h.process.pid);
  const [orphan] = await waitFor(async () => ((await holderOf()).length > 0 ? holderOf() : undefined), { what: 'the lock' });
  process.kill(first.pid, 'SIGKILL'); // the crash: the python child lives on, holding the file
  const back = await waitFor(async () => {
    const s = await svc(env, dir, 'worker');
    return s.state === 'running' && s.pid !== first.pid ? s : undefined;
  }, { timeoutMs: 20_000, what: 'worker to be replaced' });
  assert.ok(back.pid);
  await waitFor(() => !isRunning(orphan!), { what: 'the orphan to be stopped' });
  const newHolder = await waitFor(async () => {
    const h = await holderOf();
    return h.length > 0 && !h.includes(orphan!) ? h : undefined;
  }, { what: 'the new instance to take the lock' });
  assert.ok(!newHolder.includes(orphan!));
  const kill = ok(await berth(['events', '--json'], { env })).json().events.find((e: { verb: string }) => e.verb === 'kill');
  assert.equal(kill.details.path, db);
  assert.equal(kill.details.pid, orphan);

  ok(await berth(['down'], { env, cwd: dir }));
  const stranger = start(t, 'python3', ['-u', join(dir, 'hold.py'), db]);
  await stranger.line(/locked/);
  const refused = await berth(['up'], { env, cwd: dir });
  assert.equal(refused.code, 3, refused.toString());
  assert.match(refused.stderr, new RegExp(`${db.replaceAll('.', '\\.')} is locked by pid ${stranger.pid} \\(.*python3 -u .*hold\\.py`));
  assert.ok(isRunning(stranger.pid), 'the stranger was not touched');
});

test('bad berth.yaml: exit 2 with file, line and field; nothing started or stopped', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  ok:\n    run: [${node}, ${SERVICE}]\n`);
  ok(await berth(['up'], { env, cwd: dir }));
  const before = (await svc(env, dir, 'ok')).pid;
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  ok:\n    run: [${node}, ${SERVICE}]\n    port: 99999\n`);
  for (const verb of [['up'], ['down'], ['up', 'ok']]) {
    const r = await berth([...verb, '--json'], { env, cwd: dir });
    assert.equal(r.code, 2, r.toString());
    const e = r.json().error;
    assert.equal(e.code, 'config_invalid');
    assert.deepEqual([e.details.file, e.details.line, e.details.field], [join(dir, 'berth.yaml'), 4, 'services.ok.port']);
  }
  const text = await berth(['up'], { env, cwd: dir });
  assert.match(text.stderr, new RegExp(`^berth: ${join(dir, 'berth.yaml')}:4:11: services.ok.port: port must be a number from 1 to 65535`));
  const after = await svc(env, dir, 'ok');
  assert.deepEqual([after.state, after.pid], ['running', before]);
  const none = await berth(['up'], { env, cwd: tempDir(t) });
  assert.equal(none.code, 4, none.toString());
  assert.match(none.stderr, /no berth\.yaml, berth\.yml or Procfile/);
});

test('free refuses another live session\'s service without --force; gc reaps only what it should', async (t) => {
  const { home, env: base } = daemonHome(t);
  const env: NodeJS.ProcessEnv = { ...base, BERTH_PROJECT: 'p' }; // full names are p/… (decision 0016)
  const other = { ...env, BERTH_SESSION: 'other-session' };
  const theirs = ok(await berth(['run', 'theirs', '--port', 'auto', '--json', '--', node, SERVICE, '--http'], { env: other })).json().service;
  const refused = await berth(['free', String(theirs.port)], { env });
  assert.equal(refused.code, 3, refused.toString());
  assert.match(refused.stderr, /will not free "p\/theirs": it belongs to session other-session, which is still alive, running for \d+s/);
  assert.match(refused.stderr, /--force/);
  assert.ok(isRunning(theirs.pid));
  const forced = ok(await berth(['free', String(theirs.port), '--force'], { env }));
  assert.match(forced.stdout, /stopped service "p\/theirs"/);
  assert.equal((await svc(env, home, 'theirs')).state, 'stopped', 'stopped as a service, not restarted');

  // an agent session that has ended: its session-scoped service is reaped by the daemon's owner
  // watch (decision 0017: the default for an agent's run), its --keep service is not; gc reclaims
  // the lapsed lease and plans nothing for what is kept (gc's share of the reap rule, for a daemon
  // that was down, is in test/e2e/session-lifetime.test.ts)
  const noSession = { ...env };
  delete noSession.BERTH_SESSION;
  ok(await berth(['run', 'mine', '--ephemeral', '--', node, SERVICE, '--mine'], { env })); // live session
  const agentRun = start(t, node, [AGENT, node, CLI, 'run', 'eph', '--ephemeral', '--', node, SERVICE, '--eph'], { env: noSession });
  assert.equal((await agentRun.exited).code, 0, agentRun.output());
  const agentRun2 = start(t, node, [AGENT, node, CLI, 'run', 'keep', '--keep', '--', node, SERVICE, '--keep'], { env: noSession });
  assert.equal((await agentRun2.exited).code, 0, agentRun2.output());
  ok(await berth(['port', 'shortlived', '--ttl', '1ms'], { env }));
  await waitFor(async () => (await svc(env, home, 'eph')).state === 'stopped', { timeoutMs: 5_000, what: 'p/eph to be reaped by the daemon' });
  assert.match((await svc(env, home, 'eph')).detail ?? '', /reaped: its session codex:\d+:\d+ \(codex\) ended/);

  const dry = ok(await berth(['gc', '--dry-run', '--json'], { env })).json();
  const planned = dry.actions.map((a: { kind: string; subject: string }) => `${a.kind}:${a.subject}`).sort();
  assert.ok(planned.includes('reclaim-lease:p/shortlived'), JSON.stringify(planned));
  assert.ok(!planned.some((p: string) => /[:/](mine|keep|eph)$/.test(p)), JSON.stringify(planned));

  ok(await berth(['gc'], { env }));
  assert.equal((await svc(env, home, 'eph')).state, 'stopped');
  assert.equal((await svc(env, home, 'keep')).state, 'running');
  assert.equal((await svc(env, home, 'mine')).state, 'running');
  const ps = ok(await berth(['ps'], { env })).stdout;
  assert.match(ps, /keep .*codex:\d+:\d+ \(gone\)/);
  assert.match(ok(await berth(['ps', '--mine'], { env })).stdout, /mine/);
  assert.doesNotMatch(ok(await berth(['ps', '--mine'], { env })).stdout, /keep/);
  ok(await berth(['stop', '--mine'], { env }));
  assert.equal((await svc(env, home, 'mine')).state, 'stopped');
  assert.equal((await svc(env, home, 'keep')).state, 'running');
});

test('a Procfile: each process gets a PORT', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'Procfile'), `web: ${node} ${SERVICE} --http\n`);
  const up = ok(await berth(['up', '--json'], { env, cwd: dir })).json();
  assert.equal(up.services[0].service.state, 'healthy');
  assert.ok(up.services[0].service.port > 0);
  ok(await berth(['down'], { env, cwd: dir }));
});

test('free: the port\'s own service taking it the moment the stranger is gone is the conflict resolved, not a holder that came back', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const port = await freePort();
  const go = join(dir, 'go');
  // the service: alive and healthy at once, and from `go` on it binds its port, trying every millisecond
  const script = join(dir, 'bind-when-free.mjs');
  writeFileSync(
    script,
    `import { existsSync } from 'node:fs';\nimport { createServer } from 'node:net';\nconst tryBind = () => { if (!existsSync(${JSON.stringify(go)})) return setTimeout(tryBind, 5); const s = createServer(); s.once('error', () => setTimeout(tryBind, 1)); s.listen(Number(process.env.PORT), '127.0.0.1'); };\ntryBind();\n`,
  );
  const web = ok(await berth(['run', 'web', '--port', String(port), '--health', 'cmd:true', '--json', '--', node, script], { env, cwd: dir })).json().service;
  const squatter = start(t, node, [fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url)), '--port', String(port)], { env });
  await squatter.line(/listening/);
  writeFileSync(go, '');
  const freed = await berth(['free', String(port), '--json'], { env, cwd: dir });
  assert.equal(freed.code, 0, freed.toString());
  assert.deepEqual(freed.json().stopped.map((s: { pid: number }) => s.pid), [squatter.pid]);
  assert.ok(!isRunning(squatter.pid));
  // the port is its service's now, the same instance as before
  const listeners = ok(await berth(['who', String(port), '--json'], { env })).json().listeners as Array<{ processes: Array<{ pid: number }> }>;
  assert.deepEqual(listeners.flatMap((l) => l.processes.map((p) => p.pid)), [web.pid]);
});
