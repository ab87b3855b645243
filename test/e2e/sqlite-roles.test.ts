// SQLite understood (issue 14, item 2; decision 0023): `who` reads a database's journal mode and
// each holder's role from its lock bytes, companions folded in; a declared lock is contended by
// a writer only (unless mode: exclusive); doctor warns for rollback mode and for two writers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';

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
