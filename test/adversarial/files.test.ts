// The files berth writes, and its home, against a careless or hostile hand: symlinks and hard
// links planted as logs, as logs/, as tmp/, as berth.db; homes that are shared (1777), another
// user's, or cannot exist (/proc/x); a read-only and a corrupt registry. berth must refuse with
// a typed error and leave every file it did not create untouched (issue 10, findings 4, 6, 7, 10).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lchownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, type Stats, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { countHostile } from '../helpers/adversarial.ts';
import { berth, CLI, type CliResult, ok, runToEnd } from '../helpers/cli.ts';
import { daemonHome, pidsWithEnv } from '../helpers/daemon.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { pidsWithArgv } from '../helpers/proc-table.ts';
import { isRunning, start, stopPid } from '../helpers/procs.ts';
import { noSecondUser, type OtherUser, secondUser } from '../helpers/users.ts';
import { waitFor } from '../helpers/wait.ts';

const NOISY = ['sh', '-c', 'while :; do echo 0123456789abcdef0123456789abcdef; sleep 0.02; done'];

/** A clean refusal: the exit code, the error code, and neither a stack trace nor an internal error. */
function assertRefused(r: CliResult, exit: number, code: string): Record<string, any> {
  assert.equal(r.code, exit, r.toString());
  const error = r.json().error;
  assert.equal(error.code, code, r.toString());
  assert.doesNotMatch(r.stdout + r.stderr, /internal|\n\s+at /, r.toString());
  return error;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function mkHome(home: string, mode = 0o700): void {
  mkdirSync(home, { recursive: true });
  chmodSync(home, mode);
}

test('a log that is a symlink or a hard link is never written; rotation never truncates or copies over a file berth did not create', async (t) => {
  const { home, env: base } = daemonHome(t);
  // the project is fixed, so that the logs are logs/p/<service>.log (decision 0016)
  const env = { ...base, BERTH_LOG_MAX_BYTES: '256', BERTH_PROJECT: 'p' };
  const logs = join(home, 'logs', 'p');
  mkHome(join(home, 'logs'));
  mkHome(logs);
  const victim = join(dirname(home), 'victim.txt');
  writeFileSync(victim, 'precious line\n'.repeat(20_000));
  const before = readFileSync(victim);
  symlinkSync(victim, join(logs, 's1.log'));
  linkSync(victim, join(logs, 's2.log'));
  symlinkSync(victim, join(logs, 'ok.log.1'));

  for (const [name, reason] of [['s1', 'symlink'], ['s2', 'hard_linked']] as const) {
    const r = await berth(['run', name, '--restart', 'never', '--json', '--', ...NOISY], { env });
    assert.equal(assertRefused(r, 2, 'state_unsafe').details.reason, reason);
  }
  // rotation of a log that was swapped for a symlink while its service runs, and of ok.log
  // whose .log.1 is a planted symlink: the cap (256 bytes) is passed within one tick
  ok(await berth(['run', 'ok', '--restart', 'never', '--', ...NOISY], { env }));
  ok(await berth(['run', 's3', '--restart', 'never', '--', ...NOISY], { env }));
  unlinkSync(join(logs, 's3.log'));
  symlinkSync(victim, join(logs, 's3.log'));
  const rotated = join(logs, 'ok.log.1');
  await waitFor(() => lstatOrUndefined(rotated)?.isFile(), { timeoutMs: 15_000, what: 'ok.log to rotate into a new ok.log.1' });
  unlinkSync(rotated); // and once more, surely after the swap of s3.log
  await waitFor(() => lstatOrUndefined(rotated)?.isFile(), { timeoutMs: 15_000, what: 'ok.log to rotate again' });

  assert.equal(statSync(victim).size, before.length, 'the victim keeps its size');
  assert.deepEqual(readFileSync(victim), before, 'the victim keeps its content');
  // s3.log.1 may hold s3's own output, rotated before the swap; never the victim's
  const s3rotated = lstatOrUndefined(join(logs, 's3.log.1')) ? readFileSync(join(logs, 's3.log.1'), 'utf8') : '';
  assert.doesNotMatch(s3rotated, /precious/, 'nothing was copied from the symlink');
  assert.equal(pidsWithArgv(NOISY).length, 2, 'only ok and s3 run: the refused services never started');
  const logsOfS1 = await berth(['logs', 's1', '--json'], { env });
  assertRefused(logsOfS1, 2, 'state_unsafe');
  countHostile(t, 4, 'symlinked log, hard-linked log, symlinked .log.1, log swapped for a symlink under rotation');
});

test('a replacing run whose log became a symlink is refused before the running instance is stopped', async (t) => {
  const { home, env: base } = daemonHome(t);
  const env = { ...base, BERTH_PROJECT: 'p' };
  const first = ok(await berth(['run', 'web', '--restart', 'never', '--json', '--', 'sleep', '1001'], { env })).json().service;
  const victim = join(dirname(home), 'victim.txt');
  writeFileSync(victim, 'precious\n');
  unlinkSync(join(home, 'logs', 'p', 'web.log'));
  symlinkSync(victim, join(home, 'logs', 'p', 'web.log'));
  // a new command replaces the instance: refused up front, the old one keeps running
  const r = await berth(['run', 'web', '--restart', 'never', '--json', '--', 'sleep', '1002'], { env });
  assert.equal(assertRefused(r, 2, 'state_unsafe').details.reason, 'symlink');
  assert.ok(isRunning(first.pid), 'the running instance was not stopped for a start that cannot happen');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  countHostile(t, 1, 'a log swapped for a symlink before a replacing run');
});

test('a FIFO as a log is refused at once, not waited on (no writer would ever open it)', async (t) => {
  const { home, env: base } = daemonHome(t);
  const env = { ...base, BERTH_PROJECT: 'p' };
  mkHome(join(home, 'logs'));
  mkHome(join(home, 'logs', 'p'));
  execFileSync('mkfifo', [join(home, 'logs', 'p', 'f.log')]);
  // through the CLI: an open that blocks must fail this test, not hang the test process
  const run = await berth(['run', 'f', '--restart', 'never', '--json', '--', 'sleep', '100'], { env, timeoutMs: 20_000 });
  assert.equal(assertRefused(run, 2, 'state_unsafe').details.reason, 'not_regular_file');
  const logs = await berth(['logs', 'f', '--json'], { env, timeoutMs: 20_000 });
  assert.equal(assertRefused(logs, 2, 'state_unsafe').details.reason, 'not_regular_file');
  countHostile(t, 2, 'a FIFO as a log, written and read');
});

test('a logs/ that is a symlink, to a directory or to nothing, is refused with a clear error; nothing is written through it', async (t) => {
  const { home, env } = daemonHome(t);
  mkHome(home);
  const elsewhere = join(dirname(home), 'elsewhere');
  mkdirSync(elsewhere);
  for (const target of [elsewhere, join(dirname(home), 'nothing-here')]) {
    symlinkSync(target, join(home, 'logs'));
    assertRefused(await berth(['run', 's', '--restart', 'never', '--json', '--', 'sleep', '100'], { env }), 2, 'state_unsafe');
    assertRefused(await berth(['ps', '--json'], { env }), 2, 'state_unsafe');
    assertRefused(await berth(['logs', 's', '--json'], { env }), 2, 'state_unsafe');
    const text = await berth(['run', 's', '--restart', 'never', '--', 'sleep', '100'], { env });
    assert.equal(text.code, 2, text.toString());
    assert.match(text.stderr, /^berth: refusing to write .*logs: it is a symbolic link\n {2}hint: /, text.toString());
    unlinkSync(join(home, 'logs'));
  }
  assert.deepEqual(readdirSync(elsewhere), [], 'nothing was written through the link');
  assert.equal(lstatOrUndefined(join(dirname(home), 'nothing-here')), undefined, 'the dangling link was not followed');
  assert.equal(pidsWithArgv(['sleep', '100']).filter((pid) => pidsWithEnv(`BERTH_HOME=${home}`).includes(pid)).length, 0);
  countHostile(t, 2, 'logs/ symlinked to a directory, logs/ dangling');
});

test('a tmp/ that is a symlink is never followed: berth gc deletes nothing through it, a start is refused', async (t) => {
  const { home, env } = daemonHome(t);
  mkHome(home);
  const project = join(dirname(home), 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'src', 'main.ts'), 'precious\n');
  symlinkSync(project, join(home, 'tmp'));
  ok(await berth(['port', 'x'], { env }));
  const gc = ok(await berth(['gc', '--json'], { env }));
  assert.doesNotMatch(gc.stdout, /remove-tmpdir/, gc.toString());
  assert.equal(readFileSync(join(project, 'src', 'main.ts'), 'utf8'), 'precious\n');
  assertRefused(await berth(['run', 's', '--restart', 'never', '--json', '--', 'sleep', '100'], { env }), 2, 'state_unsafe');
  assert.deepEqual(readdirSync(project), ['src']);
  countHostile(t, 1, 'tmp/ symlinked to a project');
});

test('a berth.db that is a symlink (dangling or not) or a hard link is refused; its target is untouched', async (t) => {
  const { home, env } = tempHome(t);
  mkHome(home);
  const db = join(home, 'berth.db');
  const dangling = join(dirname(home), 'created-through-link.db');
  symlinkSync(dangling, db);
  assertRefused(await berth(['port', 'x', '--json'], { env }), 2, 'state_unsafe');
  assertRefused(await berth(['events', '--json'], { env }), 2, 'state_unsafe');
  assert.equal(lstatOrUndefined(dangling), undefined, 'SQLite did not create the link target');
  unlinkSync(db);
  const victim = join(dirname(home), 'victim.db');
  writeFileSync(victim, 'not yours\n');
  for (const plant of [symlinkSync, linkSync]) {
    plant(victim, db);
    assertRefused(await berth(['port', 'x', '--json'], { env }), 2, 'state_unsafe');
    unlinkSync(db);
  }
  assert.equal(readFileSync(victim, 'utf8'), 'not yours\n');
  countHostile(t, 3, 'berth.db as a dangling symlink, a symlink, a hard link');
});

test('a home that others can write, or a symlink to one, is refused (exit 2) and its mode left as it was', async (t) => {
  const dir = tempDir(t);
  const shared = join(dir, 'shared');
  mkHome(shared, 0o1777);
  const group = join(dir, 'group');
  mkHome(group, 0o770);
  const link = join(dir, 'link');
  symlinkSync(shared, link);
  const file = join(dir, 'file');
  writeFileSync(file, '');
  const verbs = [['port', 'x'], ['ps'], ['run', 's', '--restart', 'never', '--json', '--', 'sleep', '100'], ['events'], ['who', '1'], ['locks']];
  for (const [home, reason] of [[shared, 'writable_by_others'], [group, 'writable_by_others'], [link, 'writable_by_others'], [file, 'not_directory']] as const) {
    const env = { ...process.env, BERTH_HOME: home };
    for (const args of verbs) {
      const r = await berth(args.includes('--json') ? args : [...args, '--json'], { env });
      assert.equal(assertRefused(r, 2, 'home_unsafe').details.reason, reason, r.toString());
      assert.match(r.json().error.hint, /BERTH_HOME/);
    }
  }
  assert.equal(statSync(shared).mode & 0o7777, 0o1777, 'the shared directory keeps its mode');
  assert.equal(statSync(group).mode & 0o7777, 0o770);
  assert.deepEqual(readdirSync(shared), [], 'nothing was created in it, not even a compile cache');
  assert.deepEqual(readdirSync(group), []);
  countHostile(t, 4 * verbs.length, 'homes: 1777, 0770, a symlink to 1777, a file; each with six verbs');
});

test('a home of another user, or a symlink another user owns, is refused and left as it was', { skip: noSecondUser() }, async (t) => {
  const other = secondUser(t);
  const dir = tempDir(t);
  const theirs = join(dir, 'theirs');
  mkHome(theirs);
  other.own(theirs);
  const mine = join(dir, 'mine');
  mkHome(mine);
  const planted = join(dir, 'planted');
  symlinkSync(mine, planted);
  lchownSync(planted, other.uid, other.gid);
  for (const [home, reason] of [[theirs, 'other_owner'], [planted, 'other_owner']] as const) {
    for (const args of [['port', 'x'], ['ps'], ['events']]) {
      const r = await berth([...args, '--json'], { env: { ...process.env, BERTH_HOME: home } });
      assert.equal(assertRefused(r, 2, 'home_unsafe').details.reason, reason);
    }
  }
  assert.equal(statSync(theirs).uid, other.uid);
  assert.equal(statSync(theirs).mode & 0o7777, 0o700);
  assert.deepEqual(readdirSync(theirs), []);
  assert.deepEqual(readdirSync(mine), []);
  countHostile(t, 6, "another user's home, a symlink planted by another user; three verbs each");
});

test('a new home is 0700 (parents too), berth.db 0600, and nothing berth writes is open to group or others; an existing home keeps its mode', async (t) => {
  const { home, env: base } = daemonHome(t);
  const env = { ...base, BERTH_PROJECT: 'p' };
  ok(await berth(['port', 'x'], { env }));
  ok(await berth(['run', 's', '--restart', 'never', '--', ...NOISY], { env }));
  ok(await berth(['ps'], { env }));
  assert.equal(statSync(home).mode & 0o7777, 0o700);
  assert.equal(statSync(join(home, 'berth.db')).mode & 0o7777, 0o600);
  const open: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      // Node names its own folder inside cache/compile (0700): unreachable for others
      const nodesOwn = dirname(path) === join(home, 'cache', 'compile');
      if ((st.mode & 0o077) !== 0 && !nodesOwn) open.push(`${relative(home, path)} ${(st.mode & 0o7777).toString(8)}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(home);
  assert.deepEqual(open, [], 'entries open to group or others');
  for (const p of ['logs', 'logs/p', 'tmp', 'tmp/p', 'tmp/p/s', 'cache', 'cache/compile']) assert.equal(statSync(join(home, p)).mode & 0o777, 0o700, p);
  for (const p of ['logs/p/s.log', 'logs/berthd.log', 'berthd.sock']) assert.equal(statSync(join(home, p)).mode & 0o777, 0o600, p);

  // missing parents are made too, 0700; a read-only verb creates nothing
  const scratch = tempDir(t);
  const nested = join(scratch, 'a', 'b', 'home');
  const nestedEnv = { ...process.env, BERTH_HOME: nested };
  ok(await berth(['events'], { env: nestedEnv }));
  assert.equal(lstatOrUndefined(join(scratch, 'a')), undefined);
  ok(await berth(['port', 'y'], { env: nestedEnv }));
  for (const p of [nested, dirname(nested), dirname(dirname(nested))]) assert.equal(statSync(p).mode & 0o7777, 0o700, p);

  // an existing home of ours that others may read but not write is used, and not chmod'ed
  const { home: kept, env: keptEnv } = daemonHome(t);
  mkHome(kept, 0o755);
  ok(await berth(['ps'], { env: keptEnv }));
  assert.equal(statSync(kept).mode & 0o7777, 0o755);
  assert.equal(statSync(join(kept, 'berth.db')).mode & 0o777, 0o600);
});

test('a registry an older berth left readable by others is made private', async (t) => {
  const { home, env } = tempHome(t);
  ok(await berth(['port', 'x'], { env }));
  chmodSync(join(home, 'berth.db'), 0o644);
  ok(await berth(['events'], { env }));
  assert.equal(statSync(join(home, 'berth.db')).mode & 0o777, 0o600);
  countHostile(t, 1, 'a registry left 0644');
});

test('BERTH_HOME that cannot exist (/proc/x, under a file): read-only verbs answer at once, others fail with home_unwritable', async (t) => {
  const file = join(tempDir(t), 'file');
  writeFileSync(file, '');
  for (const home of ['/proc/berth-cannot-be-here', join(file, 'home')]) {
    const env = { ...process.env, BERTH_HOME: home };
    for (const args of [['who', '1'], ['ports'], ['locks'], ['events']]) {
      const started = Date.now();
      const r = await berth([...args, '--json'], { env, timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.toString());
      assert.ok(Date.now() - started < 10_000, `${args.join(' ')} took ${Date.now() - started} ms`);
    }
    for (const args of [['port', 'x'], ['ps']]) assertRefused(await berth([...args, '--json'], { env, timeoutMs: 15_000 }), 2, 'home_unwritable');
  }
  assert.equal(lstatOrUndefined('/proc/berth-cannot-be-here'), undefined);
  countHostile(t, 12, 'BERTH_HOME under /proc and under a file, six verbs each');
});

/** Corrupts every page of the registry but the first: the header still reads as SQLite. */
function corruptDataPages(db: string): void {
  const bytes = readFileSync(db);
  const pageSize = bytes.readUInt16BE(16);
  bytes.fill(0xa5, pageSize);
  writeFileSync(db, bytes);
}

const SIX_VERBS = [['who', '1'], ['ports'], ['locks'], ['events'], ['port', 'c'], ['ps'], ['run', 'x', '--restart', 'never', '--json', '--', 'sleep', '100'], ['gc'], ['doctor']];

test('a registry with a corrupt data page: registry_corrupt with its recovery from every verb, no stack, file untouched', async (t) => {
  const { home, env } = daemonHome(t);
  ok(await berth(['port', 'a'], { env }));
  ok(await berth(['port', 'b'], { env }));
  const db = join(home, 'berth.db');
  corruptDataPages(db);
  const before = readFileSync(db);
  for (const args of SIX_VERBS) {
    const r = await berth(args.includes('--json') ? args : [...args, '--json'], { env });
    assert.match(assertRefused(r, 1, 'registry_corrupt').hint, /mv .*berth\.db .*berth\.db\.broken/, r.toString());
  }
  const text = await berth(['events'], { env });
  assert.match(text.stderr, /^berth: the registry .* is not a SQLite database berth can read\n {2}hint: /, text.toString());
  assert.deepEqual(readFileSync(db), before, 'berth left the registry as it was');
  countHostile(t, SIX_VERBS.length + 1, 'a registry with corrupt data pages, through every verb that reads it');
});

/** Runs the CLI as another user; returns like berth(). */
function berthAs(user: OtherUser, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const [cmd, ...pre] = user.as;
  return runToEnd(cmd!, [...pre, process.execPath, CLI, ...args], { env }).then(({ code, stdout, stderr }) => {
    const summary = `berth ${args.join(' ')} (as ${user.name}) → exit ${code}\n--- stdout\n${stdout}--- stderr\n${stderr}`;
    return { code: code ?? 128, stdout, stderr, json: () => JSON.parse(stdout), toString: () => summary };
  });
}

test('a read-only registry: reads answer, writes fail with registry_readonly, no stack', { skip: process.getuid?.() === 0 ? noSecondUser() : undefined }, async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const env = { ...process.env, BERTH_HOME: home, BERTH_SESSION: `test-${process.pid}` };
  // the daemon a verb starts runs as that user: stopped by pid before the user is removed
  t.after(async () => {
    await Promise.all(pidsWithEnv(`BERTH_HOME=${home}`).map((pid) => stopPid(pid, 2000)));
  });
  let run: (args: string[]) => Promise<CliResult> = (args) => berth(args, { env });
  if (process.getuid?.() === 0) {
    const user = secondUser(t);
    chmodSync(dir, 0o755);
    mkHome(home);
    user.own(home);
    run = (args) => berthAs(user, args, env);
  }
  ok(await run(['port', 'a']));
  chmodSync(join(home, 'berth.db'), 0o400);
  const before = readFileSync(join(home, 'berth.db'));
  for (const args of [['who', '1'], ['ports'], ['locks'], ['events'], ['ps']]) ok(await run([...args, '--json']));
  for (const args of [['port', 'c', '--json'], ['run', 'x', '--restart', 'never', '--json', '--', 'sleep', '100']]) {
    const r = await run(args);
    assert.match(assertRefused(r, 1, 'registry_readonly').hint, /chmod u\+w/);
  }
  assert.deepEqual(readFileSync(join(home, 'berth.db')), before);
  countHostile(t, 7, 'a read-only registry, through seven verbs');
});

test('who on a FIFO with a writer blocked in its open leaves the writer blocked: berth never opens it, so no data is lost', async (t) => {
  const { env } = tempHome(t);
  const fifo = join(tempDir(t), 'fifo.db');
  execFileSync('mkfifo', [fifo]);
  countHostile(t, 2, 'who on a FIFO with a blocked writer');
  const writer = start(t, '/bin/sh', ['-c', `echo secret > '${fifo}'`]);
  // blocked in the FIFO's open until a reader comes
  await waitFor(() => /wait_for_partner|fifo/.test(readFileSync(`/proc/${writer.pid}/wchan`, 'utf8')) || undefined, { what: 'the writer to block in open' });
  for (const args of [['who', fifo], ['who', fifo, '--json']]) {
    const r = await berth(args, { env, timeoutMs: 30_000 });
    assert.notEqual(r.code, null, r.toString());
    // before: berth's probe of the database header opened the FIFO, releasing the writer, whose data was lost
    assert.ok(isRunning(writer.pid) && writer.status() === undefined, `the writer was released by berth ${args.join(' ')}:\n${r}\n${writer.output()}`);
  }
});
