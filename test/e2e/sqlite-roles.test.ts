// SQLite understood (issue 14, item 2; decision 0023): `who` reads a database's journal mode and
// each holder's role from its lock bytes, companions folded in; a declared lock is contended by
// a writer only (unless mode: exclusive); doctor warns for rollback mode and for two writers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TestContext, test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { isRunning, type Proc, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const ROLE = fileURLToPath(new URL('../fixtures/sqlite-role.mjs', import.meta.url));
const NODE_ARGS = ['--disable-warning=ExperimentalWarning', ROLE];

function initDb(path: string, mode: 'wal' | 'rollback'): void {
  execFileSync(process.execPath, [...NODE_ARGS, path, `init-${mode}`]);
}

interface Holder {
  process: { pid: number };
  role: string;
  locks: Array<{ description: string; companion?: string }>;
  fds: Array<{ companion?: string }>;
}

test('who on a WAL database: a read-only reader and a BEGIN IMMEDIATE writer, each by its role', async (t) => {
  const { env } = tempHome(t);
  const db = join(tempDir(t), 'app.db');
  initDb(db, 'wal');
  const reader = start(t, process.execPath, [...NODE_ARGS, db, 'reader']);
  await reader.line(/ready/);
  const writer = start(t, process.execPath, [...NODE_ARGS, db, 'writer']);
  await writer.line(/ready/);

  const r = await berth(['who', db, '--json'], { env });
  assert.equal(r.code, 0, r.toString());
  const doc = r.json();
  assert.equal(doc.journalMode, 'wal');
  const holders = doc.holders as Holder[];
  const w = holders.find((h) => h.process.pid === writer.pid);
  const rd = holders.find((h) => h.process.pid === reader.pid);
  assert.equal(w?.role, 'writer', JSON.stringify(holders));
  assert.equal(rd?.role, 'reader', JSON.stringify(holders));
  // the writer's write lock is on -shm, folded into the database's holder with its meaning
  assert.ok(w!.locks.some((l) => l.companion === '-shm' && /sqlite WAL write lock/.test(l.description)), JSON.stringify(w!.locks));
  assert.ok(!rd!.locks.some((l) => /write lock/.test(l.description)), JSON.stringify(rd!.locks));

  // asking about a companion answers for the database
  const viaWal = await berth(['who', `${db}-wal`, '--json'], { env });
  assert.equal(viaWal.json().path, db);
  assert.equal((viaWal.json().holders as Holder[]).find((h) => h.process.pid === writer.pid)?.role, 'writer');

  const text = await berth(['who', db], { env });
  assert.match(text.stdout, new RegExp(`${writer.pid} .* writer `));
  assert.match(text.stdout, new RegExp(`${reader.pid} .* reader `));
  assert.match(text.stdout, /sqlite: WAL mode/);
});

test('who on a WAL database: an idle connection (it keeps SHARED on the database between transactions) is open, not a reader', async (t) => {
  const { env } = tempHome(t);
  const db = join(tempDir(t), 'app.db');
  initDb(db, 'wal');
  const idle = start(t, process.execPath, [...NODE_ARGS, db, 'idle']);
  await idle.line(/ready/);
  const reader = start(t, process.execPath, [...NODE_ARGS, db, 'reader']);
  await reader.line(/ready/);
  const holders = (await berth(['who', db, '--json'], { env })).json().holders as Holder[];
  const i = holders.find((h) => h.process.pid === idle.pid);
  // the idle connection does hold SHARED on the database: that alone made it a reader before
  assert.ok(i?.locks.some((l) => l.companion === undefined && /sqlite shared/.test(l.description)), JSON.stringify(holders));
  assert.equal(i?.role, 'open', JSON.stringify(holders));
  assert.equal(holders.find((h) => h.process.pid === reader.pid)?.role, 'reader', JSON.stringify(holders));
});

test('who on a rollback-journal database: the writer inside BEGIN IMMEDIATE holds RESERVED', async (t) => {
  const { env } = tempHome(t);
  const db = join(tempDir(t), 'old.db');
  initDb(db, 'rollback');
  const writer = start(t, process.execPath, [...NODE_ARGS, db, 'writer']);
  await writer.line(/ready/);
  const doc = (await berth(['who', db, '--json'], { env })).json();
  assert.equal(doc.journalMode, 'rollback');
  const w = (doc.holders as Holder[]).find((h) => h.process.pid === writer.pid);
  assert.equal(w?.role, 'writer', JSON.stringify(doc.holders));
  assert.ok(w!.locks.some((l) => /sqlite writer: reserved/.test(l.description)), JSON.stringify(w!.locks));
});

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));

/** A WAL database with a read-only reader inside a read transaction. */
async function walWithReader(t: TestContext): Promise<{ db: string; reader: Proc }> {
  const db = join(tempDir(t), 'app.db');
  initDb(db, 'wal');
  const reader = start(t, process.execPath, [...NODE_ARGS, db, 'reader']);
  await reader.line(/ready/);
  return { db, reader };
}

test('a service declaring a WAL database starts despite a read-only reader, which is left alone', async (t) => {
  const { env } = daemonHome(t);
  const { db, reader } = await walWithReader(t);
  const r = await berth(['run', 'worker', '--lock', db, '--on-conflict', 'evict', '--json', '--', process.execPath, SERVICE], { env });
  assert.equal(r.code, 0, r.toString());
  assert.equal(r.json().service.state, 'running', r.stdout);
  assert.ok(isRunning(reader.pid), 'the reader was not evicted');
});

test('a writer in BEGIN IMMEDIATE is in the way: refused (exit 3, the writer named), or waited for until it commits', async (t) => {
  const { env } = daemonHome(t);
  const { db, reader } = await walWithReader(t);
  const writer = start(t, process.execPath, [...NODE_ARGS, db, 'writer']);
  await writer.line(/ready/);

  const waiting = berth(['run', 'waiter', '--lock', db, '--on-conflict', 'wait', '--timeout', '30s', '--json', '--', process.execPath, SERVICE], { env, timeoutMs: 60_000 });
  let settled = false;
  void waiting.then(() => (settled = true));

  // meanwhile, another service with the default policy is refused at once, naming the writer only
  const refused = await berth(['run', 'worker', '--lock', db, '--json', '--', process.execPath, SERVICE], { env });
  assert.equal(refused.code, 3, refused.toString());
  const error = refused.json().error;
  assert.equal(error.code, 'lock_held');
  assert.deepEqual(error.details.holders.map((h: { pid: number }) => h.pid), [writer.pid], JSON.stringify(error));
  assert.match(error.message, new RegExp(`locked by pid ${writer.pid}`));

  // the waiter has not started while the writer holds its transaction
  assert.equal(settled, false, 'run did not wait for the writer');
  const ps = await berth(['ps', '--all', '--json'], { env });
  assert.ok(!(ps.json().services as Array<{ name: string; state: string }>).some((s) => s.name === 'waiter' && s.state === 'running'), ps.stdout);
  writer.child.kill('SIGUSR2');
  await writer.line(/committed/);
  const started = await waiting;
  assert.equal(started.code, 0, started.toString());
  assert.equal(started.json().service.state, 'running');
  assert.ok(isRunning(reader.pid) && isRunning(writer.pid), 'neither the reader nor the committed writer was stopped');
});

test('--lock PATH:exclusive (DuckDB) is contended by a reader too', async (t) => {
  const { env } = daemonHome(t);
  const { db, reader } = await walWithReader(t);
  const r = await berth(['run', 'duck', '--lock', `${db}:exclusive`, '--json', '--', process.execPath, SERVICE], { env });
  assert.equal(r.code, 3, r.toString());
  assert.deepEqual(r.json().error.details.holders.map((h: { pid: number }) => h.pid), [reader.pid]);
});

test('doctor: a rollback-journal database declared by two services, two writers on it, and locks: modes in berth.yaml', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  initDb(join(dir, 'old.db'), 'rollback');
  const { db, reader } = await walWithReader(t);
  writeFileSync(
    join(dir, 'berth.yaml'),
    [
      'name: shop',
      'services:',
      '  web:',
      `    run: ${process.execPath} ${SERVICE}`,
      '    locks: [old.db]',
      '  worker:',
      `    run: ${process.execPath} ${SERVICE}`,
      '    locks: [{path: old.db}]',
      '  dashboard:',
      `    run: ${process.execPath} ${SERVICE}`,
      `    locks: [{path: ${JSON.stringify(db)}, mode: writer}]`,
      '  duck:',
      `    run: ${process.execPath} ${SERVICE}`,
      `    locks: [{path: ${JSON.stringify(db)}, mode: exclusive}]`,
      '',
    ].join('\n'),
  );
  // two processes with old.db open for writing (idle read-write connections)
  const one = start(t, process.execPath, ['--disable-warning=ExperimentalWarning', '-e', `const {DatabaseSync}=require('node:sqlite');new DatabaseSync(${JSON.stringify(join(dir, 'old.db'))});console.log('ready');setInterval(()=>{},1<<30)`]);
  const two = start(t, process.execPath, ['--disable-warning=ExperimentalWarning', '-e', `const {DatabaseSync}=require('node:sqlite');new DatabaseSync(${JSON.stringify(join(dir, 'old.db'))});console.log('ready');setInterval(()=>{},1<<30)`]);
  await one.line(/ready/);
  await two.line(/ready/);

  const r = await berth(['doctor', '--json'], { env, cwd: dir });
  const findings = r.json().findings as Array<{ severity: string; kind: string; subject: string; message: string; fix: string | null }>;
  const rollback = findings.find((f) => f.kind === 'sqlite_rollback');
  assert.ok(rollback, JSON.stringify(findings));
  assert.equal(rollback.severity, 'warning');
  assert.equal(rollback.subject, join(dir, 'old.db'));
  assert.match(rollback.message, /"(shop\/)?web" and "(shop\/)?worker".*rollback-journal mode: a writer's commit waits for every reader.*enable WAL \(PRAGMA journal_mode=WAL\)/);
  assert.match(rollback.fix ?? '', /PRAGMA journal_mode=WAL/);
  const intents = findings.find((f) => f.kind === 'write_intents');
  assert.ok(intents && new RegExp(`pid ${one.pid}`).test(intents.message) && new RegExp(`pid ${two.pid}`).test(intents.message), JSON.stringify(findings));
  // the reader of app.db is in the way of the exclusive declaration only
  const held = findings.filter((f) => f.kind === 'lock_held' && f.subject === db);
  assert.equal(held.length, 1, JSON.stringify(findings));
  assert.match(held[0]!.message, new RegExp(`declared by "duck".*pid ${reader.pid}`));
  assert.equal(r.code, 3, r.toString());
});

test('a locks: refusal names every holder in the way and a fix that stops only them, in the words of how the service was started', async (t) => {
  const { env } = daemonHome(t);
  const { db, reader } = await walWithReader(t);
  const writer = start(t, process.execPath, [...NODE_ARGS, db, 'writer']);
  await writer.line(/ready/);

  // a writer declaration: only the writer is in the way; `berth free DB` would stop the reader too
  const run = await berth(['run', 'worker', '--lock', db, '--json', '--', process.execPath, SERVICE], { env });
  assert.equal(run.code, 3, run.toString());
  const hint = run.json().error.hint as string;
  assert.doesNotMatch(hint, /free it: berth free/, hint);
  assert.match(hint, new RegExp(`the writer in the way \\(pid ${writer.pid}[;)]`), hint);
  assert.doesNotMatch(hint, new RegExp(`pid ${reader.pid}\\b`), hint);
  assert.match(hint, /berth run \S*worker --on-conflict evict, which spares readers/, hint);

  // an exclusive declaration: reader and writer are both in the way, both named; free stops only them
  const duck = await berth(['run', 'duck', '--lock', `${db}:exclusive`, '--json', '--', process.execPath, SERVICE], { env });
  assert.equal(duck.code, 3, duck.toString());
  const error = duck.json().error;
  assert.deepEqual(error.details.holders.map((h: { pid: number }) => h.pid).sort(), [reader.pid, writer.pid].sort());
  assert.match(error.message, new RegExp(`pid ${reader.pid} \\(`));
  assert.match(error.message, new RegExp(`pid ${writer.pid} \\(`));
  assert.match(error.hint, new RegExp(`free it: berth free ${db}`));

  // a service of berth.yaml (berth up): on_conflict: evict in berth.yaml, not the run flag
  const dir = tempDir(t);
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  importer:\n    run: [${process.execPath}, ${SERVICE}]\n    locks: [${JSON.stringify(db)}]\n`);
  const up = await berth(['up', '--json'], { env, cwd: dir });
  assert.notEqual(up.code, 0, up.toString());
  assert.match(up.stdout, /on_conflict: evict for \\"[^"\\]*importer\\" in berth\.yaml/, up.stdout);
  assert.doesNotMatch(up.stdout, /--on-conflict/, up.stdout);
});

test('doctor: a failed service whose WAL database a writer holds, with a reader, names only the writer in its fix', async (t) => {
  const { env } = daemonHome(t);
  const { db, reader } = await walWithReader(t);
  // it runs, crashes and gives up (no restarts left): failed
  const run = await berth(['run', 'crasher', '--lock', db, '--restart', 'on-failure', '--max-restarts', '0', '--json', '--', process.execPath, '-e', 'setTimeout(() => process.exit(1), 200)'], { env });
  assert.notEqual(run.code, null, run.toString());
  await waitFor(async () => ((await berth(['ps', '--json'], { env })).json().services as Array<{ name: string; state: string }>).some((s) => /crasher$/.test(s.name) && s.state === 'failed') || undefined, { timeoutMs: 30_000, what: 'the service to fail' });
  const writer = start(t, process.execPath, [...NODE_ARGS, db, 'writer']);
  await writer.line(/ready/);
  const findings = (await berth(['doctor', '--json'], { env })).json().findings as Array<{ kind: string; fix: string | null }>;
  const loop = findings.find((f) => f.kind === 'crash_loop');
  assert.ok(loop, JSON.stringify(findings));
  // before: `berth free DB`, which would stop the reader too
  assert.doesNotMatch(loop.fix ?? '', new RegExp(`^berth free`), loop.fix ?? '');
  assert.match(loop.fix ?? '', new RegExp(`^stop pid ${writer.pid} \\(berth free .* would stop its readers too\\)$`), loop.fix ?? '');
  assert.doesNotMatch(loop.fix ?? '', new RegExp(`\\b${reader.pid}\\b`), loop.fix ?? '');
});

test('doctor: a declared lock held by another berth service names that service and stops only it', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const db = join(dir, 'app.db');
  initDb(db, 'wal');
  writeFileSync(
    join(dir, 'berth.yaml'),
    [
      'services:',
      '  importer:',
      `    run: [${process.execPath}, ${NODE_ARGS.join(', ')}, ${JSON.stringify(db)}, writer]`,
      `    locks: [${JSON.stringify(db)}]`,
      '  duck:',
      `    run: [${process.execPath}, ${SERVICE}]`,
      `    locks: [{path: ${JSON.stringify(db)}, mode: exclusive}]`,
      '',
    ].join('\n'),
  );
  const env2 = { ...env, BERTH_PROJECT: 'dbproj' };
  const up = await berth(['up', 'importer', '--json'], { env: env2, cwd: dir });
  assert.equal(up.code, 0, up.toString());
  const importer = (await berth(['ps', 'dbproj/importer', '--json'], { env: env2, cwd: dir })).json();
  const pid = (importer.services?.[0] ?? importer.service ?? importer).pid;
  await waitFor(async () => (await berth(['who', db, '--json'], { env: env2 })).json().holders.some((h: Holder) => h.role === 'writer'), { what: 'the importer writes' });
  const r = await berth(['doctor', '--json'], { env: env2, cwd: dir });
  const held = (r.json().findings as Array<{ kind: string; subject: string; message: string; fix: string | null }>).filter((f) => f.kind === 'lock_held' && f.subject === db);
  assert.equal(held.length, 1, JSON.stringify(r.json().findings));
  assert.match(held[0]!.message, new RegExp(`declared by "duck", is locked by "dbproj/importer" \\(pid ${pid}\\)`), held[0]!.message);
  assert.equal(held[0]!.fix, 'berth stop dbproj/importer', 'not berth free, which stops every holder');
});
