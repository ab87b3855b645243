// Hostile files and arguments given to the real CLI: every one is refused at once with a typed
// error and the documented exit code, and never with a stack trace. Before, a berth.yaml that
// is a symlink to /dev/zero ate 15 GiB, a FIFO hung, a directory as env_file printed a stack,
// and --ttl 99999999999999999999999d, events -n 99999999999999999999 and the YAML alias bomb
// crashed with "internal error".
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { awaitSpawn, CommandFailedToStartError } from '../../src/core/spawn.ts';
import { countHostile } from '../helpers/adversarial.ts';
import { berth, type CliResult } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';

const STACK = /^\s+at .+[:(]/m;

function refused(r: CliResult, exit: number, code: string | RegExp, what: string): void {
  assert.equal(r.code, exit, `${what}: exit code\n${r}`);
  assert.doesNotMatch(r.stderr, STACK, `${what}: no stack trace\n${r}`);
  assert.doesNotMatch(r.stderr + r.stdout, /internal error|bug in berth/, `${what}: not reported as a bug\n${r}`);
  if (r.stdout.trim().startsWith('{')) {
    const doc = r.json();
    if (typeof code === 'string') assert.equal(doc.error.code, code, `${what}: error code\n${r}`);
    else assert.match(doc.error.code, code, `${what}: error code\n${r}`);
  }
}

test('hostile config files are refused at once: devices, FIFOs, directories, oversize, alias bombs, a missing cwd', async (t) => {
  const root = tempDir(t);
  const { env } = tempHome(t);
  const yaml = (body: string): string => `services:\n  web:\n    run: sleep 100\n${body}`;
  const fifo = join(root, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((k, i, ks) => `${k}: &${k} [${Array(9).fill(`*${i === 0 ? 'a' : ks[i - 1]}`).join(', ')}]`), 'services: {}'].join('\n');
  const cases: Array<{ name: string; setup: (dir: string) => void; file: RegExp }> = [
    { name: 'berth.yaml -> /dev/zero', setup: (d) => symlinkSync('/dev/zero', join(d, 'berth.yaml')), file: /berth\.yaml/ },
    { name: 'berth.yaml -> /dev/urandom', setup: (d) => symlinkSync('/dev/urandom', join(d, 'berth.yaml')), file: /berth\.yaml/ },
    { name: 'berth.yaml is a FIFO', setup: (d) => symlinkSync(fifo, join(d, 'berth.yaml')), file: /berth\.yaml/ },
    { name: 'berth.yaml is a directory', setup: (d) => mkdirSync(join(d, 'berth.yaml')), file: /berth\.yaml/ },
    { name: 'berth.yaml over 1 MiB', setup: (d) => writeFileSync(join(d, 'berth.yaml'), `${yaml('')}${'#'.repeat(1024 * 1024)}\n`), file: /berth\.yaml/ },
    { name: 'Procfile -> /dev/zero', setup: (d) => symlinkSync('/dev/zero', join(d, 'Procfile')), file: /Procfile/ },
    { name: 'YAML alias bomb', setup: (d) => writeFileSync(join(d, 'berth.yaml'), bomb), file: /berth\.yaml/ },
    { name: 'env_file: /dev/zero', setup: (d) => writeFileSync(join(d, 'berth.yaml'), yaml('    env_file: /dev/zero\n')), file: /env_file/ },
    { name: 'env_file is a FIFO', setup: (d) => writeFileSync(join(d, 'berth.yaml'), yaml(`    env_file: ${fifo}\n`)), file: /env_file/ },
    { name: 'env_file is a directory', setup: (d) => writeFileSync(join(d, 'berth.yaml'), yaml('    env_file: .\n')), file: /env_file/ },
    { name: 'cwd: /nonexistent', setup: (d) => writeFileSync(join(d, 'berth.yaml'), yaml('    cwd: /nonexistent/berth-test\n')), file: /cwd.*does not exist/ },
  ];
  countHostile(t, cases.length * 2, 'config files: device, FIFO, directory, oversize, alias bomb, env_file, cwd');
  await Promise.all(
    cases.map(async (c, i) => {
      const dir = join(root, `p${i}`);
      mkdirSync(dir);
      c.setup(dir);
      const t0 = Date.now();
      const [json, plain] = await Promise.all([berth(['up', '--json'], { env, cwd: dir, timeoutMs: 30_000 }), berth(['export', 'systemd'], { env, cwd: dir, timeoutMs: 30_000 })]);
      refused(json, 2, 'config_invalid', c.name);
      refused(plain, 2, 'config_invalid', c.name);
      assert.match(json.json().error.message, c.file, `${c.name}: the message names the file\n${json}`);
      assert.match(plain.stderr, c.file, `${c.name}: the message names the file\n${plain}`);
      // immediately: a bounded read, not a read until memory runs out
      assert.ok(Date.now() - t0 < 20_000, `${c.name}: took ${Date.now() - t0} ms`);
    }),
  );
});

test('hostile arguments: usage errors (exit 2), never a stack', async (t) => {
  const { env } = tempHome(t);
  const dir = tempDir(t);
  symlinkSync('/dev/zero', join(dir, 'CLAUDE.md'));
  const cases: Array<[string[], string]> = [
    [['port', 'web', '--ttl', '99999999999999999999999d', '--json'], 'invalid_duration'],
    [['port', 'web', '--ttl', '1e400', '--json'], 'invalid_duration'],
    [['events', '-n', '99999999999999999999', '--json'], 'invalid_count'],
    [['events', '-n', '-1', '--json'], 'invalid_count'],
    [['logs', 'web', '-n', '1e30', '--json'], 'invalid_lines'],
    [['who', '', '--json'], 'invalid_target'],
    [['who', '   ', '--json'], 'invalid_target'],
    [['free', '', '--json'], 'invalid_target'],
    [['run', 'web', '--max-restarts', '99999999999999999999', '--json', '--', 'true'], 'invalid_max_restarts'],
    [['run', 'web', '--timeout', '99999999999999999999999d', '--json', '--', 'true'], 'invalid_duration'],
    [['port', 'we\u001b[2Jb', '--json'], 'invalid_name'],
    [['init', '--agent', 'claude', '--json'], 'file_unreadable'],
  ];
  countHostile(t, cases.length, 'CLI arguments: huge numbers, empty targets, control characters, a device as CLAUDE.md');
  const results = await Promise.all(cases.map(([args]) => berth(args, { env, cwd: dir, timeoutMs: 30_000 })));
  results.forEach((r, i) => refused(r, 2, cases[i]![1], cases[i]![0].join(' ')));
  // the same without --json: one line on stderr, escaped
  const plain = await berth(['port', 'we\u001b[2Jb'], { env });
  refused(plain, 2, 'invalid_name', 'a name with ESC');
  assert.ok(!plain.stderr.includes('\u001b'), `the ESC is not printed raw\n${plain}`);
});

test('control characters in session ids, purposes and commands are escaped in tables', async (t) => {
  const { env } = tempHome(t);
  const session = 'evil\u001b]0;pwned\u0007\u001b[2J\u202e';
  countHostile(t, 1, 'a session id with terminal escapes');
  await berth(['port', 'web'], { env: { ...env, BERTH_SESSION: session } }).then((r) => assert.equal(r.code, 0, String(r)));
  for (const args of [['events'], ['ports']]) {
    const r = await berth(args, { env });
    assert.equal(r.code, 0, String(r));
    assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/, `berth ${args.join(' ')} prints no control character\n${r}`);
  }
  const events = await berth(['events'], { env });
  assert.ok(events.stdout.includes('evil\\x1b]0;pwned\\x07\\x1b[2J\\u202e'), `the session is shown escaped\n${events}`);
  const json = await berth(['events', '--json'], { env });
  assert.equal(json.json().events[0].owner.session, session, '--json keeps the exact value');
});

test('a missing working directory is reported as such, not as "command not found"', async (t) => {
  countHostile(t, 1, 'a cwd that does not exist');
  const child = spawn('true', [], { cwd: '/nonexistent/berth-test', stdio: 'ignore' });
  const err = await awaitSpawn(child, 'true', '/nonexistent/berth-test').then(
    () => assert.fail('started'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CommandFailedToStartError);
  assert.match(err.message, /working directory \/nonexistent\/berth-test does not exist/);
  assert.doesNotMatch(err.message, /command not found/);
});

test('connection errors to the daemon are daemon_unavailable with a hint, never a stack', async (t) => {
  const dir = tempDir(t);
  // a "daemon" that hangs up on every connection (ECONNRESET / EPIPE), and one that answers garbage
  const servers: Server[] = [];
  const listen = async (home: string, onConn: (sock: Socket) => void): Promise<void> => {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const server = createServer(onConn);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(home, 'berthd.sock'), resolve));
  };
  t.after(() => {
    for (const s of servers) s.close();
  });
  const resetHome = join(dir, 'reset');
  await listen(resetHome, (sock) => sock.destroy());
  const garbageHome = join(dir, 'garbage');
  await listen(garbageHome, (sock) => sock.end('HTTP/1.1 500 Oops\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]'));
  // a home that is a regular file: the socket path's parent is not a directory (ENOTDIR)
  writeFileSync(join(dir, 'file'), '');
  const cases = [resetHome, garbageHome, join(dir, 'file')];
  countHostile(t, cases.length, 'daemon sockets: reset connections, garbage answers, ENOTDIR');
  for (const home of cases) {
    const r = await berth(['ps', '--json'], { env: { ...process.env, BERTH_HOME: home }, timeoutMs: 30_000 });
    assert.notEqual(r.code, 0, String(r));
    refused(r, r.code, /^(daemon_unavailable|home_unwritable|home_unsafe)$/, `berth ps with BERTH_HOME=${home}`);
    assert.ok(r.json().error.hint, `a hint is given\n${r}`);
  }
});
