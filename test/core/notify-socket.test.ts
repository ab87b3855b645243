// The NOTIFY_SOCKET's drain (decision 0024): a real datagram socket and a real sender (python's
// socket module, as an sd_notify client). While nothing is said the drain backs off to
// IDLE_DRAIN_MS, so a datagram after a quiet spell waits for the slow tick; flush() (what the
// supervisor calls before a watchdog verdict) hands it over at once; a burst comes as one batch.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { IDLE_DRAIN_MS, type NotifyDatagram, type NotifySocket, openNotifySocket } from '../../src/daemon/notify-socket.ts';
import { hasCommand } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

function send(address: string, ...texts: string[]): void {
  execFileSync('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\nfor t in sys.argv[2:]: s.sendto(t.encode(),sys.argv[1])', address, ...texts]);
}

/** A notify socket in a temporary directory, collecting what it hands over; both gone after the test. */
function openInTemp(t: TestContext): { dir: string; batches: NotifyDatagram[][]; socket: NotifySocket | null } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-notify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const batches: NotifyDatagram[][] = [];
  const socket = openNotifySocket(join(dir, 'notify.sock'), (batch) => batches.push(batch));
  if (socket !== null) t.after(() => socket.close());
  return { dir, batches, socket };
}

test('after a quiet second the drain slows down; flush() delivers at once; a burst is one batch', { skip: !hasCommand('python3') && 'python3 not installed' }, async (t) => {
  const { batches, socket } = openInTemp(t);
  if (socket === null) return t.skip('no NOTIFY_SOCKET on this platform');
  // busy: a datagram is handed over within a few 50 ms ticks
  send(socket.address, 'WATCHDOG=1');
  await waitFor(() => batches.length === 1 || undefined, { timeoutMs: 2_000, what: 'the first datagram' });
  assert.equal(batches[0]![0]!.text, 'WATCHDOG=1');
  assert.equal(batches[0]![0]!.sender.uid, process.getuid!());
  // quiet for well over a second: the drain is now in its idle back-off
  await new Promise((r) => setTimeout(r, 1_600));
  send(socket.address, 'STATUS=a', 'STATUS=b', 'STATUS=c');
  // sent in the same instant, the three come in one batch (one process-table read for all)
  socket.flush();
  assert.equal(batches.length, 2, 'flush() hands over what waits, synchronously');
  assert.deepEqual(batches[1]!.map((d) => d.text), ['STATUS=a', 'STATUS=b', 'STATUS=c']);
  assert.ok(IDLE_DRAIN_MS > 50);
});

/** This process's open fds that point at path (readlink of /proc/self/fd/*). */
function fdsTo(path: string): number[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path ? [Number(fd)] : [];
    } catch {
      return [];
    }
  });
}

test('fds passed in SCM_RIGHTS are closed at once: a flood cannot exhaust the daemon, no service inherits one', { skip: (!hasCommand('python3') || !existsSync('/proc/self/fd')) && 'needs python3 and /proc' }, async (t) => {
  const { dir, batches, socket } = openInTemp(t);
  if (socket === null) return t.skip('no NOTIFY_SOCKET on this platform');
  const bait = join(dir, 'passed-file');
  writeFileSync(bait, '');
  const before = readdirSync('/proc/self/fd').length;
  // 50 datagrams, each passing 3 fds of the same file (and one with 200, more than fit the old
  // buffer); sent asynchronously, since the sender blocks once the socket's queue is full
  await promisify(execFile)('python3', [
    '-c',
    'import os,socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.connect(sys.argv[1])\nf=os.open(sys.argv[2],os.O_RDONLY)\n' +
      'for i in range(50): socket.send_fds(s,[b"STATUS=fd %d"%i],[f,f,f])\n' +
      'socket.send_fds(s,[b"STATUS=many"],[f]*200)',
    socket.address,
    bait,
  ], { timeout: 20_000 });
  socket.flush();
  await waitFor(() => batches.flat().length >= 51 || undefined, { timeoutMs: 2_000, what: 'the 51 datagrams' });
  assert.deepEqual(fdsTo(bait), [], 'no passed fd is left open in the receiver');
  assert.ok(readdirSync('/proc/self/fd').length <= before + 2, `fd count grew from ${before} to ${readdirSync('/proc/self/fd').length}`);
  // the text of such a datagram still counts (systemd closes fds sent without FDSTORE=1 the same way)
  assert.equal(batches.flat().at(-1)!.text, 'STATUS=many');
});
