import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { HomeUnsafeError, HomeUnwritableError, RegistryError } from '../../src/core/errors.ts';
import { SCHEMA_VERSION } from '../../src/core/registry/migrations.ts';
import { Registry } from '../../src/core/registry/registry.ts';
import { tempDir } from '../helpers/home.ts';

test('a new registry is created in WAL mode at the current schema version', (t) => {
  const home = join(tempDir(t), 'home');
  const r = Registry.open(home);
  t.after(() => r.close());
  assert.equal(r.get<{ journal_mode: string }>('PRAGMA journal_mode')!.journal_mode, 'wal');
  assert.equal(r.get<{ user_version: number }>('PRAGMA user_version')!.user_version, SCHEMA_VERSION);
  const tables = r.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((x) => x.name);
  for (const table of ['events', 'locks', 'ports', 'services']) assert.ok(tables.includes(table), table);
  assert.equal(Registry.openIfExists(join(tempDir(t), 'nothing')), undefined);
});

test('a registry written by a newer berth is refused and left untouched', (t) => {
  const home = tempDir(t);
  const path = join(home, 'berth.db');
  const db = new DatabaseSync(path);
  db.exec(`CREATE TABLE future (x); PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  const before = readFileSync(path);
  assert.throws(() => Registry.open(home), (err: unknown) => err instanceof RegistryError && err.code === 'registry_too_new');
  assert.deepEqual(readFileSync(path), before);
});

test('a file that is not SQLite is refused and left untouched', (t) => {
  const home = tempDir(t);
  const path = join(home, 'berth.db');
  writeFileSync(path, 'this is not a database, it is a text file that happens to be here\n'.repeat(50));
  const before = readFileSync(path);
  assert.throws(() => Registry.open(home), (err: unknown) => err instanceof RegistryError && err.code === 'registry_corrupt' && /mv /.test(err.hint ?? ''));
  assert.deepEqual(readFileSync(path), before);
});

test('an unwritable home is a typed error', { skip: process.getuid?.() === 0 && 'root can write anywhere' }, (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'ro'));
  chmodSync(join(dir, 'ro'), 0o500);
  assert.throws(() => Registry.open(join(dir, 'ro', 'home')), HomeUnwritableError);
});

test('a home that is a file is a typed error', (t) => {
  const file = join(tempDir(t), 'file');
  writeFileSync(file, '');
  assert.throws(() => Registry.open(file), (err: unknown) => err instanceof HomeUnsafeError && err.reason === 'not_directory');
  assert.throws(() => Registry.open(join(file, 'sub')), HomeUnwritableError);
});

test('a failed transaction leaves nothing behind', (t) => {
  const r = Registry.open(join(tempDir(t), 'home'));
  t.after(() => r.close());
  assert.throws(() =>
    r.transaction(() => {
      r.run("INSERT INTO events (at, actor, verb, subject, outcome) VALUES (1, 'a', 'v', 's', 'ok')");
      throw new Error('boom');
    }),
  );
  assert.equal(r.all('SELECT * FROM events').length, 0);
});
