// berth who <path> against real holders: a SQLite writer, an fcntl lock, an flock.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { hasCommand, start } from '../helpers/procs.ts';

const HOLD_SQLITE = fileURLToPath(new URL('../fixtures/hold-sqlite.mjs', import.meta.url));
const hasPython = hasCommand('python3');
// The portable backend (lsof) reports a lock's access, not its kind or byte range (docs/decisions/0027).
const portable = process.env.BERTH_INSPECT === 'portable';

interface Holder {
  process: { pid: number; command: string };
  fds: Array<{ fd: number; mode: string }>;
  locks: Array<{ kind: string; access: string; description: string; start: number; end: number | null }>;
}

async function holders(env: NodeJS.ProcessEnv, path: string): Promise<Holder[]> {
  const r = await berth(['who', path, '--json'], { env });
  assert.equal(r.code, 0, r.toString());
  return r.json().holders as Holder[];
}

test('a SQLite writer inside BEGIN EXCLUSIVE is named, with its write lock', async (t) => {
  const { env } = tempHome(t);
  const db = join(tempDir(t), 'app.db');
  const writer = start(t, process.execPath, ['--disable-warning=ExperimentalWarning', HOLD_SQLITE, db]);
  await writer.line(/locked/);
  const found = await holders(env, db);
  const h = found.find((x) => x.process.pid === writer.pid);
  assert.ok(h, `writer ${writer.pid} among ${JSON.stringify(found)}`);
  assert.ok(h.fds.some((f) => f.mode === 'read-write'));
  if (portable) {
    assert.ok(h.locks.some((l) => l.kind === 'UNKNOWN' && l.access === 'write'), JSON.stringify(h.locks));
    assert.ok(!h.locks.some((l) => /sqlite/.test(l.description)), `no SQLite meaning read into a lock of unknown range: ${JSON.stringify(h.locks)}`);
    return;
  }
  assert.ok(h.locks.some((l) => l.kind === 'POSIX' && l.access === 'write'), JSON.stringify(h.locks));
  assert.ok(h.locks.some((l) => /sqlite writer/.test(l.description)), JSON.stringify(h.locks));

  const text = await berth(['who', db], { env });
  assert.match(text.stdout, new RegExp(`${writer.pid}.*read-write.*write POSIX`));
});

test('an fcntl lock (python lockf), named POSIX', { skip: !hasPython && 'python3 not installed' }, async (t) => {
  const { env } = tempHome(t);
  const file = join(tempDir(t), 'data.duckdb');
  writeFileSync(file, 'x');
  const holder = start(t, 'python3', ['-u', '-c', `import fcntl,time,sys\nf=open(sys.argv[1],'r+')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked')\ntime.sleep(600)`, file]);
  await holder.line(/locked/);
  const [h] = await holders(env, file);
  assert.equal(h!.process.pid, holder.pid);
  assert.deepEqual(h!.locks.map((l) => [l.kind, l.access, l.start, l.end]), [[portable ? 'UNKNOWN' : 'POSIX', 'write', 0, null]]);
  const text = await berth(['who', file], { env });
  assert.match(text.stdout, new RegExp(`${holder.pid}.*${portable ? 'write lock \\(kind and byte range not reported' : 'write POSIX \\(fcntl/lockf\\), whole file'}`));
});

test('an flock, named FLOCK, held by every process sharing the open file', { skip: !hasPython && 'python3 not installed' }, async (t) => {
  const { env } = tempHome(t);
  const file = join(tempDir(t), 'bot.lock');
  writeFileSync(file, '');
  const holder = start(t, 'python3', ['-u', '-c', `import fcntl,time,sys\nf=open(sys.argv[1],'r')\nfcntl.flock(f, fcntl.LOCK_EX)\nprint('locked')\ntime.sleep(600)`, file]);
  await holder.line(/locked/);
  const [h] = await holders(env, file);
  assert.equal(h!.process.pid, holder.pid);
  assert.equal(h!.fds[0]!.mode, 'read');
  assert.deepEqual(h!.locks.map((l) => [l.kind, l.access]), [[portable ? 'UNKNOWN' : 'FLOCK', 'write']]);
});

test('a file nobody holds, and a path that does not exist', async (t) => {
  const { env } = tempHome(t);
  const file = join(tempDir(t), 'idle.txt');
  writeFileSync(file, '');
  const idle = await berth(['who', file], { env });
  assert.equal(idle.code, 0, idle.toString());
  assert.match(idle.stdout, /nobody has .*idle\.txt open or locked/);
  const missing = await berth(['who', join(file, 'nope')], { env });
  assert.equal(missing.code, 2, missing.toString());
  assert.match(missing.stderr, /no such file or directory/);
  const json = await berth(['who', '/no/such/file', '--json'], { env });
  assert.equal(json.code, 2);
  assert.equal(json.json().error.code, 'path_not_found');
});
