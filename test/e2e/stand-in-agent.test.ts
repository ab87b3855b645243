// The stand-in agent the session-lifetime tests rely on (test/helpers/agent.ts) is recognised
// by berth as an agent session: what it starts is owned by claude:<pid>:<start>, and its
// background commands outlive it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAgent } from '../helpers/agent.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { isRunning } from '../helpers/procs.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));

test('a service started through the stand-in agent is owned by its agent session', async (t) => {
  const { env } = daemonHome(t);
  const agent = await startAgent(t, env);
  const run = await agent.berth(['run', 'p/web', '--port', 'auto', '--json', '--', process.execPath, SERVICE, '--http']);
  assert.equal(run.code, 0, run.toString());
  const owner = run.json().service.owner;
  assert.equal(owner.session, agent.session);
  assert.equal(owner.source, 'agent');
  assert.equal(owner.agent, 'claude');
  const bg = await agent.background('sleep', ['600']);
  await agent.kill();
  assert.ok(isRunning(bg), 'a background command outlives the agent');
});
