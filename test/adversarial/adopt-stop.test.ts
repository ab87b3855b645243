// Stopping an adopted process stops it and its own descendants, never berth's daemon or another
// session's service below it (adversarial review of issue 13, #1). The staging: a subreaper is
// adopted, then berth's daemon is restarted as its child, then another session starts a service
// (a child of the daemon, so a grandchild of the subreaper). Before the fix `berth stop sub`
// signalled that service, spared the subreaper (an ancestor of berth) and said `stopped`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { countHostile } from '../helpers/adversarial.ts';
import { berth, CLI, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { hasCommand, isRunning, start } from '../helpers/procs.ts';
import { tempDir } from '../helpers/home.ts';
import { startAgent } from '../helpers/agent.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const SUBREAPER = fileURLToPath(new URL('../fixtures/subreaper.py', import.meta.url));
const node = process.execPath;
const noPython = !hasCommand('python3') && 'python3 not installed';

test('stopping an adopted subreaper that berth\'s daemon now runs below is refused, and another session\'s service is untouched', { skip: noPython }, async (t) => {
  const { env } = daemonHome(t);
  const trigger = join(tempDir(t), 'go');
  // the subreaper waits for the trigger, then starts berth's daemon (which it will reap and parent)
  const script = `while [ ! -e '${trigger}' ]; do sleep 0.05; done; exec '${node}' '${CLI}' daemon start`;
  const sub = start(t, 'python3', [SUBREAPER, '--', 'sh', '-c', script], { env });
  await sub.line(/listening \d+/);
  const a = { ...env, BERTH_SESSION: 'agent-A' };
  ok(await berth(['adopt', 'sub', '--pid', String(sub.pid), '--json'], { env: a }));
  ok(await berth(['daemon', 'stop'], { env }));
  writeFileSync(trigger, '');
  await sub.line(/ran 0/, 30_000);
  const daemon = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  const daemonPid = (daemon.pid ?? daemon.daemon?.pid) as number;
  const victim = ok(await berth(['run', 'victim', '--restart', 'never', '--json', '--', 'sleep', '1031'], { env: { ...env, BERTH_SESSION: 'agent-B' } })).json().service.pid as number;

  const stop = await berth(['stop', 'sub', '--json'], { env: a });
  assert.equal(stop.code, 3, `the stop is refused, not reported as done:\n${stop}`);
  assert.equal(stop.json().error.code, 'signal_refused', stop.toString());
  assert.match(stop.json().error.message, /ancestor of berth's daemon/);
  assert.ok(isRunning(victim), 'another session\'s service below the daemon is untouched');
  assert.ok(isRunning(daemonPid) && isRunning(sub.pid), 'the daemon and the subreaper are untouched');
  const ps = ok(await berth(['ps', '--all', '--json'], { env })).json().services;
  assert.notEqual(ps.find((s: { name: string }) => s.name === 'sub').state, 'stopped', 'the adopted record does not say stopped');
  const events = ok(await berth(['events', '--json'], { env })).json();
  const list: Array<{ verb: string; subject: string; outcome: string }> = events.events ?? events;
  assert.ok(list.some((e) => e.verb === 'adopt' && e.subject.endsWith('/sub') && e.outcome === 'refused'), 'the new daemon recorded that it runs below the adopted process');

  // rm forgets the record, leaving the process (and everything below it) running
  ok(await berth(['rm', 'sub', '--json'], { env: a }));
  assert.ok(isRunning(victim) && isRunning(daemonPid) && isRunning(sub.pid), 'rm signalled nothing');
  countHostile(t, 1, 'an adopted process that berth\'s daemon runs below');
});

test('adopt refuses a process with a berth service\'s process (a marker) below it', async (t) => {
  const { env } = daemonHome(t);
  // the child carries an instance marker (another home's service, say); its parent does not
  const parent = start(t, 'sh', ['-c', 'BERTH_INSTANCE=elsewhere sleep 1032 & echo started; wait'], { env });
  await parent.line(/started/);
  const r = await berth(['adopt', 'parent', '--pid', String(parent.pid), '--json'], { env });
  assert.equal(r.code, 3, r.toString());
  assert.equal(r.json().error.code, 'adopt_refused', r.toString());
  assert.equal(r.json().error.details.reason, 'ancestor_of_berth', r.toString());
});

test('adopting a process a live agent session runs keeps that session its owner: the adopter stops it only with --force', async (t) => {
  const { env } = daemonHome(t);
  const agent = await startAgent(t, env);
  const port = await freePort();
  const server = await agent.background(node, [LISTEN, '--port', String(port)]);
  await waitFor(async () => (await berth(['who', String(port), '--json'], { env })).code === 0 || undefined, { what: 'the agent\'s server to listen' });
  const adopted = ok(await berth(['adopt', 'foreign', '--port', String(port), '--json'], { env })).json();
  assert.equal(adopted.service.owner?.session ?? adopted.service.owner, agent.session, `the live agent session stays the owner:\n${JSON.stringify(adopted)}`);
  const stop = await berth(['stop', 'foreign', '--json'], { env });
  assert.equal(stop.code, 3, stop.toString());
  assert.equal(stop.json().error.code, 'owned_elsewhere', stop.toString());
  assert.ok(isRunning(server), 'the agent\'s server still runs');
  ok(await berth(['stop', 'foreign', '--force', '--json'], { env }));
  await waitFor(() => !isRunning(server) || undefined, { what: 'the forced stop' });
});
