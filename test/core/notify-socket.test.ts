// The NOTIFY_SOCKET's drain (decision 0024): a real datagram socket and a real sender (python's
// socket module, as an sd_notify client). While nothing is said the drain backs off to
// IDLE_DRAIN_MS, so a datagram after a quiet spell waits for the slow tick; flush() (what the
// supervisor calls before a watchdog verdict) hands it over at once; a burst comes as one batch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IDLE_DRAIN_MS, type NotifyDatagram, openNotifySocket } from '../../src/daemon/notify-socket.ts';
import { hasCommand } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

function send(address: string, ...texts: string[]): void {
  execFileSync('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\nfor t in sys.argv[2:]: s.sendto(t.encode(),sys.argv[1])', address, ...texts]);
}

test('after a quiet second the drain slows down; flush() delivers at once; a burst is one batch', { skip: !hasCommand('python3') && 'python3 not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-notify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const batches: NotifyDatagram[][] = [];
  const socket = openNotifySocket(join(dir, 'notify.sock'), (batch) => batches.push(batch));
  if (socket === null) return t.skip('no NOTIFY_SOCKET on this platform');
  t.after(() => socket.close());
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
