// berth mcp, driven by the MCP SDK's own client over stdio.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CONTRACT } from '../../src/app/contract.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { connectMcp, type McpResult as Result } from '../helpers/mcp.ts';
import { pidsWithArgv } from '../helpers/proc-table.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;

test('MCP: the tools, called by an agent: run, ps, logs, port, who, stop, and errors', async (t) => {
  const { env } = daemonHome(t);
  const client = await connectMcp(t, env);
  const { tools } = await client.listTools();
  const names = tools.map((x) => x.name).sort();
  assert.deepEqual(names, ['adopt', 'daemon_status', 'doctor', 'down', 'events', 'free', 'gc', 'lock', 'locks', 'logs', 'orphans', 'port', 'ports', 'ps', 'rate_take', 'restart', 'rm', 'run', 'schema', 'slots', 'stop', 'up', 'who']);
  const ps = tools.find((x) => x.name === 'ps')!;
  assert.equal(ps.annotations?.readOnlyHint, true);
  const run = tools.find((x) => x.name === 'run')!;
  assert.equal(run.annotations?.idempotentHint, true);
  assert.ok(run.description!.includes('instead of starting it with & or nohup'));
  assert.ok((run.inputSchema.properties as Record<string, unknown>).command, 'zod input schema exposed');

  const started = (await client.callTool({ name: 'run', arguments: { name: 'web', command: [node, SERVICE, '--http', '--mcp'], port: 'auto', purpose: 'mcp test' } })) as Result;
  assert.ok(!started.isError, JSON.stringify(started));
  assert.ok(CONTRACT.run.safeParse(started.structuredContent).success, 'the same document as berth run --json');
  const svc = started.structuredContent.service;
  assert.equal(started.structuredContent.outcome, 'started');
  assert.equal(svc.state, 'healthy');
  assert.match(started.content[0]!.text!, new RegExp(`web: started \\(pid ${svc.pid} on port ${svc.port}\\), healthy`));
  assert.equal(svc.owner.session, env.BERTH_SESSION, 'owned by the session that runs the MCP server');

  const listed = (await client.callTool({ name: 'ps', arguments: {} })) as Result;
  assert.ok(CONTRACT.ps.safeParse(listed.structuredContent).success, 'the same document as berth ps --json');
  assert.deepEqual(listed.structuredContent.services.map((s: { name: string; pid: number }) => [s.name, s.pid]), [['web', svc.pid]]);
  const logs = (await client.callTool({ name: 'logs', arguments: { name: 'web', lines: 5 } })) as Result;
  assert.ok(logs.structuredContent.lines.some((l: string) => l === `listening ${svc.port}`), JSON.stringify(logs.structuredContent));
  const port = (await client.callTool({ name: 'port', arguments: { name: 'web' } })) as Result;
  assert.equal(port.structuredContent.port, svc.port, 'the service lease, sticky');
  const who = (await client.callTool({ name: 'who', arguments: { target: String(svc.port) } })) as Result;
  assert.deepEqual(who.structuredContent.listeners[0].processes.map((p: { pid: number }) => p.pid), [svc.pid]);
  assert.deepEqual(who.structuredContent.known[svc.pid], [{ kind: 'service', name: svc.fullName }]);

  const bad = (await client.callTool({ name: 'run', arguments: { name: 'bad name', command: ['true'] } })) as Result;
  assert.equal(bad.isError, true);
  assert.equal(bad._meta!['berth/error'].code, 'invalid_name');
  assert.match(bad.content[0]!.text!, /error invalid_name: invalid service name "bad name"/);
  // trial #4: pids without orphans is refused, not a full gc
  const gcPids = (await client.callTool({ name: 'gc', arguments: { pids: [123] } })) as Result;
  assert.equal(gcPids.isError, true);
  assert.equal(gcPids._meta!['berth/error'].code, 'pid_without_orphans');
  const missing = (await client.callTool({ name: 'stop', arguments: { name: 'nosuch' } })) as Result;
  assert.equal(missing.isError, true);
  assert.equal(missing._meta!['berth/error'].code, 'not_found');

  const stopped = (await client.callTool({ name: 'stop', arguments: { name: 'web' } })) as Result;
  assert.equal(stopped.structuredContent.service.state, 'stopped');
  assert.deepEqual(pidsWithArgv([node, SERVICE, '--http', '--mcp']), []);
});

test('MCP: two clients running the same name at once get one process', async (t) => {
  const { env } = daemonHome(t);
  const [a, b] = await Promise.all([connectMcp(t, env), connectMcp(t, env)]);
  const args = { name: 'once', command: [node, SERVICE, '--http', '--once'], port: 'auto' as const };
  const [ra, rb] = (await Promise.all([a.callTool({ name: 'run', arguments: args }), b.callTool({ name: 'run', arguments: args })])) as Result[];
  assert.ok(!ra!.isError && !rb!.isError, JSON.stringify([ra, rb]));
  assert.deepEqual([ra!.structuredContent.outcome, rb!.structuredContent.outcome].sort(), ['already_running', 'started']);
  assert.equal(ra!.structuredContent.service.pid, rb!.structuredContent.service.pid);
  assert.equal(pidsWithArgv([node, SERVICE, '--http', '--once']).length, 1);
});

test('MCP run: watchdog as a duration string, like --watchdog; a service that never beats is stopped as hung', async (t) => {
  const { env } = daemonHome(t);
  const client = await connectMcp(t, env);
  const run = (await client.listTools()).tools.find((x) => x.name === 'run')!;
  const props = run.inputSchema.properties as Record<string, { description?: string }>;
  assert.match(props['health']!.description!, /notify: ready when a process of it sends READY=1/);
  assert.match(props['watchdog']!.description!, /WATCHDOG=1/);
  const bad = (await client.callTool({ name: 'run', arguments: { name: 'hb', command: ['sleep', '60'], watchdog: '50ms' } })) as Result;
  assert.equal(bad.isError, true);
  assert.equal(bad._meta!['berth/error'].code, 'invalid_watchdog');
  const started = (await client.callTool({ name: 'run', arguments: { name: 'hb', command: ['sleep', '60'], watchdog: '1s', restart: 'never' } })) as Result;
  assert.ok(!started.isError, JSON.stringify(started));
  const pid = started.structuredContent.service.pid;
  // it never sends WATCHDOG=1: hung after 1 s, stopped, and (restart: never) left exited
  await waitFor(async () => {
    const svc = ((await client.callTool({ name: 'ps', arguments: { all: true } })) as Result).structuredContent.services.find((s: { name: string }) => s.name === 'hb');
    return svc?.state === 'exited';
  }, { timeoutMs: 15_000, intervalMs: 100, what: 'hb exited after its watchdog' });
  const events = ((await client.callTool({ name: 'events', arguments: {} })) as Result).structuredContent;
  const list = (Array.isArray(events) ? events : events.events) as Array<{ verb: string; details: Record<string, unknown> }>;
  assert.ok(list.some((e) => e.verb === 'watchdog' && e.details['pid'] === pid && e.details['watchdogMs'] === 1000), JSON.stringify(list.map((e) => e.verb)));
});
