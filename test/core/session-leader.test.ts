// A session's leader is the process whose pid is the session id and that leads that session
// (adversarial review #6): after the leader exits its pid may be reused by a process of another
// session, which must not be taken for the leader (detectOwner's terminal owner, orphans'
// "its terminal session's leader lives").
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { readStat, type ProcStat } from '../../src/core/inspect/proc/procfs.ts';
import { isSessionLeader } from '../../src/core/owner.ts';
import { stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const stat = (pid: number, sid: number, state = 'S'): ProcStat => ({ pid, comm: 'x', state, ppid: 1, pgid: sid, sid, ttyNr: 0, startTicks: 1 });

test('a reused pid that leads no session is not the session leader', () => {
  const table = new Map([[400, stat(400, 900)]]);
  assert.equal(isSessionLeader(400, (p) => table.get(p)), false, 'pid 400 now belongs to session 900');
  const leader = new Map([[400, stat(400, 400)]]);
  assert.equal(isSessionLeader(400, (p) => leader.get(p)), true);
  const zombie = new Map([[400, stat(400, 400, 'Z')]]);
  assert.equal(isSessionLeader(400, (p) => zombie.get(p)), false);
  assert.equal(isSessionLeader(400, () => undefined), false);
});

test('a real process that called setsid leads its session; a process of another session at that pid would not', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  const pid = child.pid!;
  t.after(() => stopPid(pid));
  await waitFor(() => readStat(pid)?.sid === pid, { what: `pid ${pid} to lead its own session` });
  assert.equal(isSessionLeader(pid, readStat), true);
  const mine = readStat(process.pid)!;
  if (mine.sid !== process.pid) assert.equal(isSessionLeader(process.pid, readStat), false, 'this test process leads no session');
});
