// The registry migration to projects (schema 4) and name resolution, without processes.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { BerthError } from '../../src/core/errors.ts';
import { resolveName } from '../../src/core/project.ts';
import { MIGRATIONS } from '../../src/core/registry/migrations.ts';
import { Registry } from '../../src/core/registry/registry.ts';
import { loadServices } from '../../src/core/supervisor/store.ts';
import { listPortRecords } from '../../src/core/ports/ports.ts';
import { tempDir } from '../helpers/home.ts';

test('migration: existing services move to a project named after their cwd, with their leases', (t) => {
  const home = tempDir(t);
  const root = tempDir(t);
  for (const d of ['x/site', 'y/site']) mkdirSync(join(root, d), { recursive: true });
  const db = new DatabaseSync(join(home, 'berth.db'));
  for (const sql of MIGRATIONS.slice(0, 3)) db.exec(sql as string);
  db.exec('PRAGMA user_version = 3');
  const spec = (name: string, cwd: string) => JSON.stringify({ name, argv: ['sleep', '1'], cwd, env: {}, port: { kind: 'auto' }, health: null, restart: 'never', maxRestarts: null, purpose: null, ephemeral: false, onConflict: 'refuse', locks: [] });
  const insert = db.prepare("INSERT INTO services (name, spec, state, restarts, created_at, updated_at) VALUES (?, ?, 'stopped', 0, 1, 1)");
  insert.run('web', spec('web', join(root, 'x/site')));
  insert.run('api', spec('api', join(root, 'y/site')));
  db.prepare("INSERT INTO ports (port, name, kind, created_at, renewed_at) VALUES (21000, 'web', 'lease', 1, 1)").run();
  db.prepare("INSERT INTO ports (port, name, kind, created_at, renewed_at) VALUES (21001, 'scratch', 'lease', 1, 1)").run();
  db.close();

  const r = Registry.open(home);
  t.after(() => r.close());
  const names = loadServices(r).map((s) => s.spec.name).sort();
  assert.equal(names[1], 'site/web');
  assert.match(names[0]!, /^site-[0-9a-f]{4}\/api$/, 'a second directory named site gets a suffix');
  assert.deepEqual(listPortRecords(r).map((p) => [p.port, p.name]).sort(), [[21000, 'site/web'], [21001, 'scratch']]);
});

test('resolution: explicit, current project first, unique across projects, ambiguous is exit 2 with candidates', () => {
  const known = ['shop/web', 'shop-b/web', 'shop/db'];
  assert.equal(resolveName('shop-b/web', { current: 'shop', explicit: false }, known), 'shop-b/web');
  assert.equal(resolveName('web', { current: 'shop-b', explicit: false }, known), 'shop-b/web');
  assert.equal(resolveName('db', { current: 'other', explicit: false }, known), 'shop/db');
  assert.equal(resolveName('db', { current: 'other', explicit: true }, known), 'other/db');
  assert.equal(resolveName('new', { current: 'shop', explicit: false }, known), 'shop/new');
  assert.throws(() => resolveName('web', { current: null, explicit: false }, known), (e: unknown) => e instanceof BerthError && e.code === 'ambiguous_name' && e.exitCode === 2 && (e.details!.candidates as string[]).length === 2);
  assert.throws(() => resolveName('..', { current: 'shop', explicit: false }, known), (e: unknown) => e instanceof BerthError && e.code === 'invalid_name');
});
