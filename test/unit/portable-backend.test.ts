// The portable backend's readers fed with recorded tool output: macOS output written from the
// documented formats (test/fixtures/macos/) and Linux output recorded on a real host
// (test/fixtures/linux/), answered in the same shapes the proc backend gives.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPortableBackend } from '../../src/core/inspect/portable/backend.ts';
import { parseEnvTail } from '../../src/core/inspect/portable/environ.ts';
import { socketKey } from '../../src/core/inspect/portable/lsof.ts';
import { ToolMissingError } from '../../src/core/inspect/portable/run.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** lsof fixtures are stored one field per line; lsof -F0 ends every field with NUL. */
const fixture = (name: string): string => {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  return name.includes('lsof-') ? text.replace(/\n/g, '\0') : text;
};

type Answer = (tool: string, args: string[]) => string | undefined;
/** A backend whose tools answer from fixtures; `calls` records every run. */
function fake(platform: NodeJS.Platform, answer: Answer): { backend: ReturnType<typeof createPortableBackend>; calls: string[][] } {
  const calls: string[][] = [];
  const run = (tool: string, args: string[]): string => {
    calls.push([tool, ...args]);
    const out = answer(tool, args);
    if (out === undefined) throw new Error(`unexpected run: ${tool} ${args.join(' ')}`);
    return out;
  };
  return { backend: createPortableBackend({ platform, run }), calls };
}

// lstart is local time: read the fixtures as UTC.
let savedTz: string | undefined;
before(() => {
  savedTz = process.env['TZ'];
  process.env['TZ'] = 'UTC';
});
after(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

const macPs: Answer = (tool, args) => {
  if (tool === 'sysctl') return fixture('macos/sysctl-boottime.txt');
  if (tool !== 'ps') return undefined;
  if (args.includes('state=,command=')) return fixture(args.includes('-E') ? 'macos/ps-command-env.txt' : 'macos/ps-command.txt');
  const p = args.indexOf('-p');
  const rows = fixture('macos/ps-stat.txt').split('\n');
  return p < 0 ? rows.join('\n') : rows.filter((r) => r.trim().split(/\s+/)[0] === args[p + 1]).join('\n');
};

test('macOS ps: stats with lstart against kern.boottime, no session id, flags dropped from the state, a comm with spaces', () => {
  const { backend, calls } = fake('darwin', macPs);
  const stats = backend.readAllStats();
  assert.deepEqual(stats.get(812), { pid: 812, ppid: 1, pgid: 812, sid: 0, ttyNr: stats.get(812)!.ttyNr, state: 'S', comm: 'node', startTicks: 410_700 });
  assert.ok(stats.get(812)!.ttyNr > 0, 'ttys001 is a terminal');
  assert.equal(stats.get(913)!.ttyNr, 0, '?? is none');
  assert.equal(stats.get(913)!.comm, 'Google Chrome He');
  assert.equal(backend.bootId(), 'boot-1699996000');
  assert.equal(backend.bootTimeMs(), 1_699_996_000_000);
  assert.equal(backend.readStat(913)?.startTicks, 420_000, '22:16:40 is 4200 s after boot');
  assert.deepEqual(backend.readUids(812), [501, 501, 501]);
  assert.equal(backend.readRssBytes(812), 48212 * 1024);
  assert.equal(calls.filter((c) => c[0] === 'sysctl').length, 1, 'the boot time is read once');
  assert.equal(calls.filter((c) => c[0] === 'ps' && c.includes('-A')).length, 1, 'every stat is one ps');
});

test('macOS ps: argv split on spaces, and the environment after the command (-E), BERTH_INSTANCE and BERTH_SESSION included', () => {
  const { backend, calls } = fake('darwin', macPs);
  assert.deepEqual(backend.readArgv(812), ['node', 'server.js', '--port', '8080']);
  const env = backend.readEnviron(812)!;
  assert.equal(env['BERTH_INSTANCE'], '9f3c2a');
  assert.equal(env['BERTH_SESSION'], 'agent 7', 'a value with a space stays joined to its variable');
  assert.equal(env['PATH'], '/usr/local/bin:/usr/bin:/bin');
  assert.equal(env['server.js'], undefined, 'the command is not read as variables');
  assert.ok(calls.some((c) => c.includes('-E')), 'macOS asks with -E');
});

test('the environment split: " NAME=" boundaries, and the documented ambiguity', () => {
  assert.deepEqual(parseEnvTail('cmd a=b X=1 Y=two words', 'cmd a=b'), { X: '1', Y: 'two words' });
  assert.deepEqual(parseEnvTail('cmd A=x B=y', 'cmd'), { A: 'x', B: 'y' });
  // A value holding " NAME=" is cut there: the second half reads as a variable of its own.
  assert.deepEqual(parseEnvTail('cmd OPTS=-a K=v', 'cmd'), { OPTS: '-a', K: 'v' });
  assert.deepEqual(parseEnvTail('other A=1', 'cmd'), {}, 'not this command: nothing is guessed');
});

test('macOS lsof: TCP listeners (IPv4 and IPv6, shared by a fork), UDP, connections skipped, holders by kernel address', () => {
  const { backend, calls } = fake('darwin', (tool) => (tool === 'lsof' ? fixture('macos/lsof-sockets.txt') : undefined));
  const sockets = backend.readSockets();
  const key = socketKey('0x4b9b3c1a2e8f1d05')!;
  assert.ok(Number.isSafeInteger(key));
  assert.deepEqual(
    sockets.map((s) => [s.protocol, s.family, s.address, s.port, s.uid]),
    [
      ['tcp', 'ipv4', '127.0.0.1', 8080, 501],
      ['tcp', 'ipv6', '::', 8080, 501],
      ['udp', 'ipv4', '0.0.0.0', 5353, 65],
      ['udp', 'ipv6', '::', 5353, 65],
    ],
  );
  assert.equal(sockets[0]!.inode, key);
  assert.deepEqual(backend.socketHolders([key]).byInode.get(key), [812, 813]);
  assert.equal(backend.tcpClientUid(53122, 8080), 502, 'the client end, not the server end');
  assert.equal(backend.tcpClientUid(53123, 8080), undefined);
  assert.ok(calls.every((c) => c.includes('-n') && c.includes('-P') && c.includes('-w')), 'always -n -P -w');
  assert.ok(calls.every((c) => c.some((a) => a.startsWith('-F0'))), 'always field output');
  assert.deepEqual(backend.readSockets({ port: 5353, protocol: 'udp' }).map((s) => s.family), ['ipv4', 'ipv6']);
  assert.ok(calls.at(-1)!.includes('-iUDP:5353') && !calls.at(-1)!.some((a) => a.startsWith('-iTCP')));
});

test('macOS lsof: opens and locks of files (range unknown: start 0, end null), all locks with their paths', () => {
  const { backend } = fake('darwin', (tool, args) =>
    tool === 'lsof' ? fixture(args.includes('--') ? 'macos/lsof-files.txt' : 'macos/lsof-all-locks.txt') : undefined,
  );
  const dev = (1 << 24) | 17;
  const { uses } = backend.fileUses([
    { path: '/Users/dev/app/data.db', dev, ino: 12345678 },
    { path: '/Users/dev/app/job.lock', dev, ino: 12345679 },
  ]);
  assert.deepEqual(uses[0]!.opens, [
    { pid: 812, fd: 12, mode: 'read-write' },
    { pid: 812, fd: 14, mode: 'read' },
  ]);
  assert.deepEqual(
    uses[0]!.locks.map((l) => [l.holder, l.fd, l.access, l.kind, l.start, l.end, l.major, l.minor, l.inode, l.waiting]),
    [[812, 12, 'write', 'UNKNOWN', 0, null, 1, 17, 12345678, false]],
  );
  assert.deepEqual(uses[1]!.opens.map((o) => [o.pid, o.mode]), [[813, 'read'], [814, 'read-write']]);
  assert.deepEqual(uses[1]!.locks.map((l) => [l.holder, l.access]), [[813, 'read']]);
  assert.deepEqual(
    backend.allLocks().map((l) => [l.holder, l.access, l.path, l.major, l.minor]),
    [[812, 'write', '/Users/dev/app/data.db', 1, 17], [813, 'read', '/Users/dev/app/job.lock', 1, 17]],
  );
});

test('macOS lsof: cwd (a path with a space) and bound Unix sockets by name', () => {
  const { backend } = fake('darwin', (tool, args) => (tool === 'lsof' ? fixture(args.includes('cwd') ? 'macos/lsof-cwd.txt' : 'macos/lsof-unix.txt') : undefined));
  assert.equal(backend.readCwd(812), '/Users/dev/projects/web app');
  assert.equal(backend.readCwd(999), undefined, 'a pid lsof does not show');
  assert.deepEqual([...backend.boundUnixSockets('/Users/dev/.berth/run/berth-lock-')], [['db.sock', [812]]]);
  assert.equal(backend.processUnit(812), null);
});

test('recorded Linux output: a listener, a flock, and ps rows with a session id and pid 1 as the boot', () => {
  const { backend } = fake('linux', (tool, args) => {
    if (tool === 'lsof') return fixture(args.includes('--') ? 'linux/lsof-flock.txt' : 'linux/lsof-listener.txt');
    if (tool === 'ps') {
      const rows = fixture('linux/ps-stat.txt').split('\n');
      const p = args.indexOf('-p');
      return p < 0 ? rows.join('\n') : rows.filter((r) => r.trim().split(/\s+/)[0] === args[p + 1]).join('\n');
    }
    return undefined; // no sysctl on Linux
  });
  assert.deepEqual(backend.readSockets(), [{ protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 45199, uid: 0, inode: 4944778 }]);
  const { uses } = backend.fileUses([{ path: '/tmp/tmp.X9RnIex2IS/app.lock', dev: 65024, ino: 2158226 }]);
  assert.deepEqual(uses[0]!.opens, [{ pid: 3655, fd: 3, mode: 'read-write' }]);
  assert.deepEqual(uses[0]!.locks.map((l) => [l.holder, l.access, l.major, l.minor]), [[3655, 'write', 254, 0]]);
  const stat = backend.readStat(3654)!;
  assert.deepEqual([stat.sid, stat.pgid, stat.ppid, stat.ttyNr, stat.comm], [12202, 3650, 3650, 0, 'node']);
  assert.equal(stat.startTicks, 21_373 * 100);
  assert.equal(backend.bootId(), `boot-${Date.UTC(2026, 10, 23, 18, 51, 1) / 1000}`);
});

test('a missing lsof is a typed error naming the package to install', () => {
  const empty = mkdtempSync(join(tmpdir(), 'berth-nopath-'));
  const saved = process.env['PATH'];
  process.env['PATH'] = empty;
  try {
    assert.throws(
      () => createPortableBackend().readSockets(),
      (e: unknown) => e instanceof ToolMissingError && e.details?.['tool'] === 'lsof' && /install lsof/.test(e.hint ?? ''),
    );
  } finally {
    process.env['PATH'] = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});
