// A home whose path is too long for a Unix socket (sun_path: 107 bytes on Linux, 103 on macOS):
// the daemon's API socket and the notify socket go to /tmp/berth-UID/HASH.NAME instead of being
// bound truncated beside the home or refused, in a directory that must be berth's own (0700, this
// user's, not a symlink: another user may plant /tmp/berth-UID first), and status and doctor say
// where (issue 16; decision 0029). Tested on Linux with a home made longer than the limit.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { StateUnsafeError } from '../../src/core/errors.ts';
import { currentUid } from '../../src/core/private-fs.ts';
import { checkSocketDir, ensureSocketDir, shortSocketDir, socketPlace, sunPathMax } from '../../src/core/socket-path.ts';
import { notifyAddress } from '../../src/core/supervisor/notify.ts';
import { countHostile } from '../helpers/adversarial.ts';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { waitForFile } from '../helpers/wait.ts';

test('the socket stays in the home while it fits; past the limit (Linux 107, macOS 103 bytes) it gets a short, stable path', () => {
  assert.equal(sunPathMax('linux'), 107);
  assert.equal(sunPathMax('darwin'), 103);
  const home = `/h/${'x'.repeat(100 - '/h/'.length - '/berthd.sock'.length)}`; // berthd.sock path: 100 bytes
  assert.deepEqual(socketPlace(home, 'berthd.sock', { platform: 'linux' }), { path: `${home}/berthd.sock`, fallback: false });
  assert.deepEqual(socketPlace(home, 'berthd.sock', { platform: 'darwin' }), { path: `${home}/berthd.sock`, fallback: false });
  const mid = `${home}xxxxx`; // 105 bytes: fits Linux, not macOS
  assert.equal(socketPlace(mid, 'berthd.sock', { platform: 'linux' }).fallback, false);
  const mac = socketPlace(mid, 'berthd.sock', { platform: 'darwin', uid: 501 });
  assert.equal(mac.fallback, true);
  assert.match(mac.path, /^\/tmp\/berth-501\/[0-9a-f]{16}\.berthd\.sock$/);
  assert.ok(Buffer.byteLength(mac.path) <= sunPathMax('darwin'));
  // the same home always gets the same path (the CLI and the daemon must agree); another home another
  assert.equal(socketPlace(mid, 'berthd.sock', { platform: 'darwin', uid: 501 }).path, mac.path);
  assert.notEqual(socketPlace(`${mid}y`, 'berthd.sock', { platform: 'darwin', uid: 501 }).path, mac.path);
  assert.equal(dirname(socketPlace(mid, 'notify.sock', { platform: 'darwin', uid: 501 }).path), dirname(mac.path));
});

test('the fallback directory is created 0700 and refused when it is a symlink or writable by others', (t) => {
  const base = tempDir(t);
  const place = socketPlace(join(base, 'h'.repeat(120)), 'berthd.sock', { base });
  assert.equal(place.fallback, true);
  assert.equal(dirname(place.path), shortSocketDir(base));
  checkSocketDir(place); // missing: no daemon yet, nothing to refuse
  ensureSocketDir(place);
  const st = lstatSync(dirname(place.path));
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o700);
  assert.equal(st.uid, currentUid());

  // a symlink planted where the directory goes (e.g. by another user, to a directory they can read)
  const base2 = tempDir(t);
  const elsewhere = join(base2, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  symlinkSync(elsewhere, shortSocketDir(base2));
  const linked = socketPlace(join(base2, 'h'.repeat(120)), 'berthd.sock', { base: base2 });
  assert.throws(() => ensureSocketDir(linked), (e: unknown) => e instanceof StateUnsafeError && e.details?.reason === 'symlink');
  assert.throws(() => checkSocketDir(linked), StateUnsafeError);
  // a directory others can write (anyone could replace the socket in it)
  const base3 = tempDir(t);
  mkdirSync(shortSocketDir(base3), { mode: 0o700 });
  chmodSync(shortSocketDir(base3), 0o777);
  const open = socketPlace(join(base3, 'h'.repeat(120)), 'berthd.sock', { base: base3 });
  assert.throws(() => ensureSocketDir(open), (e: unknown) => e instanceof StateUnsafeError && e.details?.reason === 'writable_by_others');
  assert.throws(() => checkSocketDir(open), StateUnsafeError);
  assert.deepEqual(readdirSync(elsewhere), [], 'nothing was created through the symlink');
  countHostile(t, 2, 'a symlinked and a world-writable socket directory');
});

test('a home too long for sun_path: berthd serves on the short path, services get a NOTIFY_SOCKET there, status and doctor say where', { timeout: 60_000 }, async (t) => {
  const { home, env } = daemonHome(t, 'h'.repeat(110));
  assert.ok(Buffer.byteLength(join(home, 'berthd.sock')) > sunPathMax('linux'));
  const notify = notifyAddress(home);
  assert.equal(notify.fallback, true);

  const started = ok(await berth(['daemon', 'start', '--json'], { env })).json();
  assert.equal(started.running, true);
  const status = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  assert.equal(status.socketFallback, true);
  assert.match(status.socket, new RegExp(`^/tmp/berth-${currentUid()}/[0-9a-f]{16}\\.berthd\\.sock$`));
  const sock = lstatSync(status.socket);
  assert.ok(sock.isSocket());
  assert.equal(sock.mode & 0o777, 0o600);
  assert.equal(lstatSync(dirname(status.socket)).mode & 0o777, 0o700);
  const text = ok(await berth(['daemon', 'status'], { env }));
  assert.match(text.stdout, new RegExp(`socket: ${status.socket} \\(the home's path is too long`));
  // nothing was bound beside the home (a truncated path would land in its parent) or in it
  assert.deepEqual(readdirSync(dirname(home)).filter((f) => join(dirname(home), f) !== home), []);
  assert.ok(!existsSync(join(home, 'berthd.sock')));

  // a service's NOTIFY_SOCKET is the short path too, and a READY=1 through it is heard
  const out = join(dirname(home), 'seen');
  ok(await berth(['run', 'notified', '--no-wait', '--', 'sh', '-c', `printf %s "\${NOTIFY_SOCKET-none}" > ${out}; exec sleep 30`], { env }));
  const seen = await waitForFile(out, 'the service writing its NOTIFY_SOCKET');
  assert.equal(seen, notify.path);
  assert.ok(lstatSync(notify.path).isSocket());

  const doctor = await berth(['doctor', '--json'], { env });
  const finding = doctor.json().findings.find((f: { kind: string }) => f.kind === 'socket_fallback');
  assert.ok(finding, doctor.toString());
  assert.equal(finding.subject, status.socket);
  assert.equal(finding.severity, 'info');

  ok(await berth(['rm', 'notified', '--force', '--grace', '2s'], { env }));
  ok(await berth(['daemon', 'stop'], { env }));
  assert.ok(!existsSync(status.socket), 'the daemon removes its socket when it stops');
});

