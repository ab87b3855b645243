// What `run` says besides starting: a lifetime flag that a running service did not take is
// warned about, not passed over in silence followed by advice to use the very flag given
// (trial #1); and the MCP `run` text carries what the CLI prints: the lifetime note, the
// strangers evicted, the warnings (trial #16).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CONTRACT } from '../../src/app/contract.ts';
import { berth, ok } from '../helpers/cli.ts';
import { connectMcp, type McpResult as Result } from '../helpers/mcp.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { freePort } from '../helpers/ports.ts';
import { isRunning, start } from '../helpers/procs.ts';

const node = process.execPath;
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));

test('run with a lifetime flag on a running service of another lifetime: a warning, the lifetime unchanged', async (t) => {
  const { env } = daemonHome(t);
  const cmd = ['--', node, LISTEN, '--port', '$PORT'];
  ok(await berth(['run', 'kept', '--port', 'auto', ...cmd], { env }));
  const scoped = ok(await berth(['run', 'kept', '--port', 'auto', '--until-session-ends', '--json', ...cmd], { env })).json();
  assert.ok(CONTRACT.run.safeParse(scoped).success, JSON.stringify(scoped));
  assert.equal(scoped.outcome, 'already_running');
  assert.equal(scoped.service.lifetime, 'keep');
  assert.deepEqual(scoped.warnings, ['--until-session-ends ignored: kept is already running with lifetime keep; berth stop kept and run again to change it']);

  ok(await berth(['run', 'wk', '--port', 'auto', '--until-session-ends', ...cmd], { env }));
  const human = ok(await berth(['run', 'wk', '--port', 'auto', '--keep', ...cmd], { env }));
  assert.match(human.stdout, /already running/);
  assert.match(human.stderr, /warning: --keep ignored: wk is already running with lifetime session; berth stop wk and run again to change it/);
  assert.doesNotMatch(human.stderr, /berth run --keep keeps it running/);
  const svc = ok(await berth(['ps', 'wk', '--json'], { env })).json().services[0];
  assert.equal(svc.lifetime, 'session', 'unchanged');
  // the same flag as it runs with: nothing to warn about
  const same = ok(await berth(['run', 'wk', '--port', 'auto', '--until-session-ends', '--json', ...cmd], { env })).json();
  assert.deepEqual(same.warnings, []);
});

test('MCP run text: the lifetime note, the evictions, and the warning, as the CLI prints them', async (t) => {
  const { env } = daemonHome(t);
  // the MCP server's own session (a session it leads), not BERTH_SESSION: one whose end berth sees
  const mcpEnv = { ...env };
  delete mcpEnv.BERTH_SESSION;
  const client = await connectMcp(t, mcpEnv, { ownSession: true });
  const port = await freePort();
  const stranger = start(t, node, [LISTEN, '--port', String(port)], { env: { ...env, BERTH_SESSION: 'agent-b' } });
  await stranger.line(/listening/);
  const command = [node, LISTEN, '--port', '$PORT'];
  const r = (await client.callTool({ name: 'run', arguments: { name: 'web', command, port, on_conflict: 'evict', ephemeral: true } })) as Result;
  assert.ok(!r.isError, JSON.stringify(r));
  const svc = r.structuredContent.service;
  assert.equal(svc.lifetime, 'session');
  assert.ok(svc.owner.process, `an owner with a process: ${JSON.stringify(svc.owner)}`);
  const text = r.content[0]!.text!;
  assert.match(text, new RegExp(`evicted pid ${stranger.pid} \\(.*listen\\.mjs.*\\) holding :${port}`), text);
  assert.match(text, /web stops when your session \(.+\) ends; run it with keep: true to keep it running/, text);
  assert.ok(!isRunning(stranger.pid));

  const again = (await client.callTool({ name: 'run', arguments: { name: 'web', command, port, keep: true } })) as Result;
  const text2 = again.content[0]!.text!;
  assert.match(text2, /warning: the argument keep ignored: web is already running with lifetime session; the stop \{"name":"web"\} tool call and run again to change it/, text2);
  assert.doesNotMatch(text2, /--keep|berth /, text2);
  assert.equal(again.structuredContent.warnings.length, 1);
});
