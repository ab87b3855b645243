// The portable backend (lsof + ps) answers on Linux what /proc says, through the very code
// paths a Mac runs: for real children holding a listener, a flock, a POSIX lock, a known cwd,
// argv and environment. /proc is read here only as the reference.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFileLocks } from '../../src/core/inspect/proc/files.ts';
import { readArgv, readBootTimeMs, readCwd, readEnviron, readStat, readUids } from '../../src/core/inspect/proc/procfs.ts';
import { createPortableBackend } from '../../src/core/inspect/portable/backend.ts';
import { start } from '../helpers/procs.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const backend = createPortableBackend();

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-portable-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a listener: its port, pid, ppid, argv, cwd, environment and start time match /proc', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, BERTH_INSTANCE: 'inst-1234', BERTH_SESSION: 'sess 42 with spaces', BERTH_EMPTY: '' };
  const p = start(t, process.execPath, [join(FIXTURES, 'listen.mjs'), '--host', '127.0.0.1'], { cwd: dir, env });
  const port = Number((await p.line(/listening (\d+)/))[1]);

  const sockets = backend.readSockets({ port });
  assert.equal(sockets.length, 1, JSON.stringify(sockets));
  const s = sockets[0]!;
  assert.deepEqual([s.protocol, s.family, s.address, s.port, s.uid], ['tcp', 'ipv4', '127.0.0.1', port, readUids(p.pid)![1]]);
  assert.ok(backend.readSockets().some((e) => e.port === port && e.inode === s.inode), 'the unfiltered list has it too');
  assert.equal(backend.readSockets({ port, protocol: 'udp' }).length, 0);
  assert.deepEqual(backend.socketHolders([s.inode]).byInode.get(s.inode), [p.pid]);
  assert.ok(backend.socketKeysOf(p.pid)?.has(s.inode), 'the holder lists the socket key');

  const stat = backend.readStat(p.pid)!;
  const proc = readStat(p.pid)!;
  assert.deepEqual([stat.pid, stat.ppid, stat.pgid, stat.sid, stat.ttyNr, stat.state, stat.comm], [proc.pid, proc.ppid, proc.pgid, proc.sid, proc.ttyNr, proc.state, proc.comm]);
  const portableStartMs = backend.bootTimeMs() + stat.startTicks * 10;
  const procStartMs = readBootTimeMs() + proc.startTicks * 10;
  assert.ok(Math.abs(portableStartMs - procStartMs) < 1000, `start ${portableStartMs} vs /proc ${procStartMs}`);
  assert.equal(backend.readAllStats().get(p.pid)?.startTicks, stat.startTicks, 'one ps for all says the same');
  assert.ok(backend.listPids().includes(p.pid));

  assert.deepEqual(backend.readArgv(p.pid), readArgv(p.pid));
  assert.equal(backend.readCwd(p.pid), readCwd(p.pid));
  assert.equal(backend.readCwd(p.pid), dir);
  assert.deepEqual(backend.readUids(p.pid), readUids(p.pid)!.slice(0, 3));
  assert.ok((backend.readRssBytes(p.pid) ?? 0) > 0);
  const environ = backend.readEnviron(p.pid)!;
  assert.equal(environ['BERTH_INSTANCE'], 'inst-1234');
  assert.equal(environ['BERTH_SESSION'], 'sess 42 with spaces');
  assert.equal(environ['BERTH_EMPTY'], '');
  assert.equal(environ['PATH'], readEnviron(p.pid)!['PATH']);

  const id = backend.bootId();
  assert.match(id, /^boot-\d+$/);
  assert.equal(backend.bootId(), id, 'the same boot id on every call');
  assert.equal(createPortableBackend().bootId(), id, 'and from a fresh backend');
});

test('a UDP socket and an IPv6 listener are read with their family', async (t) => {
  const udp = start(t, process.execPath, [join(FIXTURES, 'listen.mjs'), '--udp', '--host', '127.0.0.1']);
  const v6 = start(t, process.execPath, [join(FIXTURES, 'listen.mjs'), '--host', '::1']);
  const udpPort = Number((await udp.line(/listening (\d+)/))[1]);
  const v6Port = Number((await v6.line(/listening (\d+)/))[1]);
  assert.deepEqual(
    backend.readSockets({ port: udpPort }).map((s) => [s.protocol, s.family, s.address]),
    [['udp', 'ipv4', '127.0.0.1']],
  );
  assert.deepEqual(
    backend.readSockets({ port: v6Port, protocol: 'tcp' }).map((s) => [s.protocol, s.family, s.address]),
    [['tcp', 'ipv6', '::1']],
  );
});

test('a flock and a POSIX lock held by children: opens, locks, holders and access', async (t) => {
  const dir = tempDir(t);
  const flocked = join(dir, 'flocked.txt');
  const posix = join(dir, 'posix.txt');
  writeFileSync(flocked, 'x');
  writeFileSync(posix, 'y');
  const a = start(t, 'python3', [join(FIXTURES, 'hold-lock.py'), 'flock', 'write', flocked]);
  const b = start(t, 'python3', [join(FIXTURES, 'hold-lock.py'), 'posix', 'read', posix]);
  await a.line(/locked/);
  await b.line(/locked/);

  const targets = [flocked, posix].map((path) => ({ path, dev: statSync(path).dev, ino: statSync(path).ino }));
  const { uses } = backend.fileUses(targets);
  const [fu, pu] = uses as [(typeof uses)[0], (typeof uses)[0]];
  assert.deepEqual(fu.opens.map((o) => [o.pid, o.mode]), [[a.pid, 'read-write']]);
  assert.deepEqual(pu.opens.map((o) => [o.pid, o.mode]), [[b.pid, 'read']]);
  assert.deepEqual(fu.locks.map((l) => [l.holder, l.access, l.start, l.end, l.fd]), [[a.pid, 'write', 0, null, fu.opens[0]!.fd]]);
  assert.deepEqual(pu.locks.map((l) => [l.holder, l.access]), [[b.pid, 'read']]);
  assert.equal(fu.locks[0]!.inode, targets[0]!.ino);

  // /proc/locks, the reference, says the same holders and access.
  const kernel = readFileLocks().filter((l) => l.inode === targets[0]!.ino || l.inode === targets[1]!.ino);
  assert.deepEqual(
    kernel.map((l) => [l.pid, l.access]).sort(),
    [...fu.locks, ...pu.locks].map((l) => [l.holder, l.access]).sort(),
  );

  const all = backend.allLocks().filter((l) => l.holder === a.pid || l.holder === b.pid);
  assert.deepEqual(all.map((l) => [l.holder, l.access, l.path]).sort(), [[a.pid, 'write', flocked], [b.pid, 'read', posix]].sort());
  assert.ok(backend.openPathsOf(a.pid)?.includes(flocked));
});

test('a process that is gone answers undefined, not an error', async (t) => {
  const p = start(t, process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  const pid = p.pid;
  await p.stop();
  assert.equal(backend.readStat(pid), undefined);
  assert.equal(backend.readArgv(pid), undefined);
  assert.equal(backend.readCwd(pid), undefined);
  assert.equal(backend.readEnviron(pid), undefined);
  assert.equal(backend.readRssBytes(pid), null);
  assert.equal(backend.socketKeysOf(pid), undefined);
  assert.equal(backend.openPathsOf(pid), undefined);
});
