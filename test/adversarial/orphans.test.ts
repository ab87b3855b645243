// gc --orphans acts on what it listed, and only that: an orphan whose pid is handed to another
// process between the listing and the signal is not signalled. The listing's identity (pid,
// start time, boot id) is what gc re-checks; here the listed identity is given the pid of a
// bystander that started later, which is exactly what a reused pid looks like to berth (staging
// a real reuse of a host pid would need the whole machine's pid space, see pid-reuse.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertBystandersAlive, countHostile, startBystander } from '../helpers/adversarial.ts';
import { startAgent } from '../helpers/agent.ts';
import { berth, ok } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { hasCommand, isRunning, stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';
import { stopOrphan } from '../../src/core/orphans-gc.ts';
import { findOrphans } from '../../src/core/orphans.ts';
import type { EventInput } from '../../src/core/registry/events.ts';

test('an orphan whose pid is reused between listing and gc is not signalled', { skip: !hasCommand('python3') && 'python3 not installed' }, async (t) => {
  const { home, env } = tempHome(t);
  const agent = await startAgent(t, env);
  const port = await freePort();
  const pid = await agent.background('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1']);
  await agent.kill();
  const listed = await waitFor(() => findOrphans({ registry: undefined, home, protect: [] }).find((o) => o.pid === pid && o.ports.some((p) => p.port === port)), {
    what: `pid ${pid} to be listed as an orphan on :${port}`,
  });
  assert.equal(listed.kind, 'agent-abandoned');
  await stopPid(pid);

  const bystander = startBystander(t);
  await waitFor(() => isRunning(bystander.pid), { what: 'the bystander to run' });
  const reused = { ...listed, pid: bystander.pid, identity: { ...listed.identity, pid: bystander.pid } };
  countHostile(t, 1, 'a listed orphan whose pid now names another process');
  const events: EventInput[] = [];
  const result = await stopOrphan(reused, { home, protect: [], trees: [] }, 500, (e) => events.push(e));
  assert.equal(result.outcome, 'gone');
  assert.match(String(result.why), /pid reuse/);
  assert.deepEqual(result.pids, []);
  assert.deepEqual(events, [], 'nothing is recorded as stopped');
  assertBystandersAlive(t, [bystander]);
});

// Adversarial review #2: BERTH_HOME is set per command (agents and tests do it), so a server a
// live agent started with another BERTH_HOME than its own was taken for another session's and
// listed, collectable. It is that live agent's: not listed, and gc --orphans leaves it running.
test('a live agent\'s server started with another BERTH_HOME is neither listed nor collected', { skip: !hasCommand('python3') && 'python3 not installed' }, async (t) => {
  const { home, env } = tempHome(t);
  const agent = await startAgent(t, env);
  const port = await freePort();
  // `cmd &` in a shell: the server is re-parented at once while the agent lives on
  const other = tempDir(t);
  await agent.background('sh', ['-c', `exec python3 -m http.server ${port} --bind 127.0.0.1 </dev/null >/dev/null 2>&1 &`], { env: { BERTH_HOME: other } });
  const server = await waitFor(async () => (await berth(['who', String(port), '--json'], { env })).json().listeners.flatMap((l: { processes: Array<{ pid: number }> }) => l.processes.map((p) => p.pid))[0] as number | undefined, {
    what: `the server to listen on :${port}`,
  });
  t.after(() => stopPid(server));
  assert.ok(isRunning(agent.pid));
  assert.equal(findOrphans({ registry: undefined, home, protect: [] }).find((o) => o.pid === server), undefined, 'a live agent\'s server is not listed');
  const gc = ok(await berth(['gc', '--orphans', '--pid', String(server), '--json'], { env })).json();
  assert.deepEqual(gc.orphans.stopped, [], JSON.stringify(gc));
  assert.ok(isRunning(server), 'the live agent\'s server runs on');
});
