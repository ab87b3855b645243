// The config-drift cache (src/core/config/drift-cache.ts, decision 0034) against real files: a
// judgement is reused only while the berth.yaml, its env_file, its directories and the recorded
// specs are what they were; an edit of the same size with the old mtime, a changed spec, a racy
// judgement (made within RACY_MS of the file's change) and a cache file that is corrupt, foreign
// to this version, too large, a symlink or one of too many entries are all judged again, and a
// link planted at the cache's name is replaced, never written through.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { cachedConfigDrift, DRIFT_CACHE_FILE, MAX_CACHE_BYTES, MAX_CACHED_FILES, RACY_MS } from '../../src/core/config/drift-cache.ts';
import { judgeConfigFiles } from '../../src/core/config/drift.ts';
import { loadYaml } from '../../src/core/config/load.ts';
import type { ServiceSpec } from '../../src/core/supervisor/spec.ts';

/** A home and a project with a berth.yaml of two services, one reading an env_file. */
function setup(t: TestContext): { home: string; file: string; envFile: string; cache: string } {
  const root = mkdtempSync(join(tmpdir(), 'berth-drift-cache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, 'home');
  mkdirSync(home, { mode: 0o700 });
  mkdirSync(join(root, 'proj', 'sub'), { recursive: true });
  const file = join(root, 'proj', 'berth.yaml');
  const envFile = join(root, 'proj', '.env');
  writeFileSync(envFile, 'A=1\n');
  writeFileSync(file, 'services:\n  web:\n    run: [node, web.js]\n    purpose: aaaa\n  api:\n    run: [node, api.js]\n    cwd: sub\n    env_file: .env\n');
  return { home, file, envFile, cache: join(home, 'cache', DRIFT_CACHE_FILE) };
}

/** The specs `berth up` would record for the file as it is now (names project/service). */
function recordedFrom(file: string): ServiceSpec[] {
  return [...loadYaml(file).services.values()].map((s) => ({ ...s.spec, name: `p/${s.spec.name}` }));
}

/** cachedConfigDrift with a judge that counts its calls and a clock well past every file's change. */
function driftOf(home: string, later = RACY_MS + 1000): { judged: () => number; run: (specs: ServiceSpec[]) => Promise<Record<string, string[]>> } {
  let calls = 0;
  return {
    judged: () => calls,
    run: async (specs) =>
      Object.fromEntries(
        await cachedConfigDrift(home, specs, async (s) => {
          calls++;
          return judgeConfigFiles(s);
        }, () => Date.now() + later),
      ),
  };
}

test('an unchanged berth.yaml and unchanged specs are judged once; an edit of the same size with the old mtime is seen', async (t) => {
  const { home, file, cache } = setup(t);
  const specs = recordedFrom(file);
  const d = driftOf(home);
  assert.deepEqual(await d.run(specs), {});
  assert.deepEqual(await d.run(specs), {});
  assert.equal(d.judged(), 1, 'the second call is answered from the cache');
  assert.equal(lstatSync(cache).mode & 0o777, 0o600);

  // the same size and, to the nanosecond, the same mtime (touch -r copies it exactly): only ctime tells
  const before = statSync(file, { bigint: true });
  const stamp = `${file}.stamp`;
  writeFileSync(stamp, '');
  execFileSync('touch', ['-r', file, stamp]);
  writeFileSync(file, readFileSync(file, 'utf8').replace('purpose: aaaa', 'purpose: bbbb'));
  execFileSync('touch', ['-r', stamp, file]);
  const after = statSync(file, { bigint: true });
  assert.deepEqual([after.size, after.mtimeNs, after.ino], [before.size, before.mtimeNs, before.ino]);
  assert.deepEqual(await d.run(specs), { 'p/web': ['purpose'] });
  assert.deepEqual(await d.run(specs), { 'p/web': ['purpose'] });
  assert.equal(d.judged(), 2, 'judged again once after the edit, then cached with its drift');
});

test('a changed recorded spec, env_file or working directory is judged again', async (t) => {
  const { home, file, envFile } = setup(t);
  const specs = recordedFrom(file);
  const d = driftOf(home);
  await d.run(specs);
  // `berth up` recreated web from another file version: the record changed, the file did not
  const restarted = specs.map((s) => (s.name === 'p/web' ? { ...s, purpose: 'zzzz' } : s));
  assert.deepEqual(await d.run(restarted), { 'p/web': ['purpose'] });
  assert.equal(d.judged(), 2);
  assert.deepEqual(await d.run(specs), {});
  assert.equal(d.judged(), 3);

  writeFileSync(envFile, 'A=2\n');
  assert.deepEqual(await d.run(specs), { 'p/api': ['env'] });
  assert.equal(d.judged(), 4);

  // the file no longer loads without its cwd: it says nothing, and that is not kept
  rmSync(join(file, '..', 'sub'), { recursive: true });
  assert.deepEqual(await d.run(specs), {});
  assert.deepEqual(await d.run(specs), {});
  assert.equal(d.judged(), 6);
});

test('a judgement made within RACY_MS of the file\'s change is not kept; a missing file is', async (t) => {
  const { home, file } = setup(t);
  const specs = recordedFrom(file);
  const racy = driftOf(home, 0);
  await racy.run(specs);
  await racy.run(specs);
  assert.equal(racy.judged(), 2, 'a file changed a moment ago may change again within its timestamp\'s granularity');

  rmSync(file);
  const d = driftOf(home);
  assert.deepEqual(await d.run(specs), {});
  assert.deepEqual(await d.run(specs), {});
  assert.equal(d.judged(), 1, 'a missing file is a key too');
});

test('a corrupt, foreign-version, oversized or symlinked cache file is ignored and replaced; a planted link is not written through', async (t) => {
  const { home, file, cache } = setup(t);
  const specs = recordedFrom(file);
  const d = driftOf(home);
  await d.run(specs);
  const good = readFileSync(cache, 'utf8');
  const doc = JSON.parse(good);
  const forged = { ...doc, entries: doc.entries.map((e: Record<string, unknown>) => ({ ...e, drift: { 'p/web': ['not-a-field'] } })) };
  const tooMany = { ...doc, entries: Array.from({ length: MAX_CACHED_FILES + 1 }, (_, i) => ({ ...doc.entries[0], file: `/x/${i}` })) };
  const variants = ['{"kind":', JSON.stringify({ ...doc, berth: '0.0.0-other' }), JSON.stringify(forged), JSON.stringify(tooMany), `${good}${' '.repeat(MAX_CACHE_BYTES)}`];
  let judged = d.judged();
  for (const text of variants) {
    writeFileSync(cache, text);
    assert.deepEqual(await d.run(specs), {}, text.slice(0, 60));
    assert.equal(d.judged(), ++judged, `not trusted: ${text.slice(0, 60)}`);
    assert.equal(JSON.parse(readFileSync(cache, 'utf8')).entries.length, 1, 'rewritten with the one file judged');
  }

  const victim = join(home, '..', 'victim.json');
  writeFileSync(victim, good);
  rmSync(cache);
  symlinkSync(victim, cache);
  assert.deepEqual(await d.run(specs), {});
  assert.equal(d.judged(), ++judged, 'a cache reached through a symlink is not read');
  assert.ok(lstatSync(cache).isFile(), 'the link is replaced by berth\'s own file');
  assert.equal(readFileSync(victim, 'utf8'), good, 'the link\'s target is untouched');
});

test('the cache keeps at most MAX_CACHED_FILES files, the longest-judged dropped first', async (t) => {
  const { home, file, cache } = setup(t);
  const d = driftOf(home);
  const files: string[] = [];
  for (let i = 0; i <= MAX_CACHED_FILES; i++) {
    const dir = join(home, '..', `p${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'berth.yaml'), 'services:\n  web:\n    run: [node, web.js]\n');
    files.push(join(dir, 'berth.yaml'));
    await d.run(recordedFrom(join(dir, 'berth.yaml')));
  }
  await d.run(recordedFrom(file));
  const kept = JSON.parse(readFileSync(cache, 'utf8')).entries.map((e: { file: string }) => e.file);
  assert.equal(kept.length, MAX_CACHED_FILES);
  assert.ok(kept.includes(file));
  assert.ok(!kept.includes(files[0]) && !kept.includes(files[1]), 'the two judged first are gone');
});
