// The second new-user trial's smaller findings (issue 13 fix round), each against the real CLI,
// daemon and MCP server: doctor does not tell you to stop a service you asked berth to keep;
// `berth mcp` answers every request piped to it before stdin closed; text `ps` says why a service
// stopped and marks a running one's previous exit; usage errors carry a hint and a bad --pid has
// its own code; `daemon status` tells running from recorded services; the MCP tool list in the
// docs is the server's; MCP input schemas declare the range of ports and counts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAgent } from '../helpers/agent.ts';
import { berth, CLI } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { afterOutput, isRunning, stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Finding } from '../helpers/doctor.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;
const doc = (path: string): string => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

test('doctor: a kept service whose session ended is info without a stop; a session-scoped one is a warning with gc', async (t) => {
  const { env } = daemonHome(t);
  const agent = await startAgent(t, env);
  const web = await agent.berth(['run', 'p/web', '--json', '--', node, SERVICE]);
  assert.equal(web.code, 0, web.toString());
  const kept = await agent.berth(['run', 'p/kept', '--keep', '--json', '--', node, SERVICE]);
  assert.equal(kept.code, 0, kept.toString());
  // no daemon: nothing reaps p/web, so doctor sees both with their session gone
  assert.equal((await berth(['daemon', 'stop'], { env })).code, 0);
  await agent.kill();

  const r = await berth(['doctor', '--json'], { env });
  assert.equal(r.code, 0, r.toString());
  const gone = (r.json().findings as Finding[]).filter((f) => f.kind === 'owner_gone');
  const keptFinding = gone.find((f) => f.subject === 'p/kept');
  const webFinding = gone.find((f) => f.subject === 'p/web');
  assert.equal(keptFinding?.severity, 'info', `kept on purpose: ${r.stdout}`);
  assert.equal(keptFinding?.fix, null, 'no stop for a service kept on purpose');
  assert.equal(webFinding?.severity, 'warning', r.stdout);
  assert.equal(webFinding?.fix, 'berth gc', 'no daemon runs: gc stops it');
  assert.match(webFinding?.message ?? '', /no daemon runs to reap it/);
  const text = await berth(['doctor'], { env });
  assert.doesNotMatch(text.stdout + text.stderr, /berth stop p\/kept/, text.toString());
});

test('ps: text says why a service stopped (reaped with its session), and a running one\'s last exit is marked (prev)', async (t) => {
  const { env } = daemonHome(t);
  const agent = await startAgent(t, env);
  const web = await agent.berth(['run', 'p/web', '--json', '--', node, SERVICE]);
  assert.equal(web.code, 0, web.toString());
  const pid = web.json().service.pid as number;
  await agent.kill();
  await waitFor(() => !isRunning(pid), { timeoutMs: 10_000, what: 'the reap of p/web' });
  const stopped = await waitFor(async () => {
    const r = await berth(['ps', 'p/web'], { env });
    return /reaped/.test(r.stdout) ? r : undefined;
  }, { timeoutMs: 10_000, what: 'ps p/web to say it was reaped' });
  assert.match(stopped.stdout, new RegExp(`p/web: reaped: its session ${agent.session} \\(claude\\) ended`), stopped.toString());
  const all = await berth(['ps', '--all'], { env });
  assert.match(all.stdout, /p\/web: reaped: its session/, all.toString());

  const one = await berth(['run', 'one', '--json', '--', node, SERVICE], { env });
  assert.equal(one.code, 0, one.toString());
  assert.equal((await berth(['restart', 'one'], { env })).code, 0);
  const ps = await berth(['ps', 'one', '--json'], { env });
  const svc = ps.json().services[0];
  assert.notEqual(svc.lastExit, null, `the restart recorded the previous instance's exit: ${ps.stdout}`);
  const row = (await berth(['ps', 'one'], { env })).stdout.split('\n').find((l) => /\bone\b/.test(l) && /running|healthy/.test(l));
  assert.match(row ?? '', /\(prev\)/, `a running service's LAST EXIT is its previous instance's: ${row}`);
});

test('usage errors carry a hint; a bad --pid is invalid_pid', async (t) => {
  const { env } = daemonHome(t);
  const cases: [string[], string][] = [
    [['run', 'x', '--port', '0', '--json', '--', 'true'], 'invalid_port'],
    [['gc', '--orphans', '--pid', 'abc', '--json'], 'invalid_pid'],
    [['adopt', 'x', '--pid', 'abc', '--json'], 'invalid_pid'],
    [['events', '-n', '0', '--json'], 'invalid_count'],
  ];
  for (const [args, code] of cases) {
    const r = await berth(args, { env });
    assert.equal(r.code, 2, r.toString());
    const error = r.json().error;
    assert.equal(error.code, code, r.toString());
    assert.equal(typeof error.hint, 'string', `a hint: ${r.stdout}`);
    assert.ok(error.hint.length > 0);
  }
});

test('daemon status: running and recorded services told apart', async (t) => {
  const { env } = daemonHome(t);
  for (const name of ['a', 'b']) assert.equal((await berth(['run', name, '--', node, SERVICE], { env })).code, 0);
  assert.equal((await berth(['stop', 'b'], { env })).code, 0);
  const r = await berth(['daemon', 'status', '--json'], { env });
  assert.equal(r.code, 0, r.toString());
  assert.equal(r.json().services, 2, 'services counts every record, as before');
  assert.equal(r.json().servicesRunning, 1);
  const text = await berth(['daemon', 'status'], { env });
  assert.match(text.stdout, /1 running, 2 recorded services/, text.toString());
});

type Message = { id?: number; result?: any; error?: { code: number; message: string } };

test('berth mcp: requests piped in and stdin closed are all answered; docs list every tool; schemas bound ports', async (t) => {
  const { env } = daemonHome(t);
  const requests = [
    { id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } } },
    { method: 'notifications/initialized' },
    { id: 2, method: 'tools/list' },
    { id: 3, method: 'tools/call', params: { name: 'ps', arguments: {} } },
    { id: 4, method: 'tools/call', params: { name: 'doctor', arguments: {} } },
    { id: 5, method: 'tools/call', params: { name: 'run', arguments: { name: 'x', command: ['true'], port: 70000 } } },
    { id: 6, method: 'tools/call', params: { name: 'daemon_status', arguments: {} } },
  ];
  const child = spawn(node, [CLI, 'mcp'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => stopPid(child.pid!, 2000));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => afterOutput(child, (code) => r(code)));
  // all at once, as `printf … | berth mcp` does, then end of input
  child.stdin.end(requests.map((m) => `${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`).join(''));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  await waitFor(() => code !== undefined, { timeoutMs: 30_000, what: `berth mcp to exit after answering; stdout:\n${stdout}\nstderr:\n${stderr}` });
  assert.equal(code, 0, stderr);
  const answers = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Message);
  assert.deepEqual(answers.map((a) => a.id).sort(), [1, 2, 3, 4, 5, 6], `every request answered once:\n${stdout}\n${stderr}`);
  const byId = new Map(answers.map((a) => [a.id, a]));
  assert.deepEqual(byId.get(3)?.result?.structuredContent, { services: [] });
  const refused = byId.get(5)?.result;
  assert.equal(refused?.isError, true);
  assert.equal(refused?._meta?.['berth/error']?.code, 'invalid_port', 'out of range: berth\'s own code, as on the CLI');

  const tools = byId.get(2)?.result?.tools as { name: string; inputSchema: any }[];
  const schema = (name: string): any => tools.find((x) => x.name === name)!.inputSchema.properties;
  assert.deepEqual(schema('run').port.anyOf.find((s: any) => s.type === 'integer'), { type: 'integer', minimum: 1, maximum: 65535 });
  assert.equal(schema('adopt').port.maximum, 65535);
  assert.equal(schema('port').port.minimum, 1);
  assert.equal(schema('port').reserve.anyOf.find((s: any) => s.type === 'integer').maximum, 65535);
  assert.equal(schema('events').limit.minimum, 1);
  assert.ok(schema('events').limit.maximum > 0);
  assert.ok(schema('logs').lines.maximum > 0);
  assert.ok(schema('run').max_restarts.maximum > 0);
  assert.ok(schema('gc').pids.items.anyOf.find((s: any) => s.type === 'integer').maximum > 0, 'a pid is bounded (the other form is "PID:START")');
  assert.ok(schema('free').grace_seconds.maximum > 0);

  // the tool lists in docs/agents.md §1 and docs/cli.md (berth mcp) name every tool the server has
  const agentsList = /berth's verbs are MCP tools[\s\S]*?Each calls/.exec(doc('docs/agents.md'))![0];
  const cliList = /### berth mcp\n\nAn MCP server on stdio, one tool per verb \(([\s\S]*?)\), each calling/.exec(doc('docs/cli.md'))![1]!;
  for (const { name } of tools) {
    assert.ok(agentsList.includes(`\`${name}\``), `docs/agents.md §1 lists ${name}`);
    assert.ok(cliList.includes(`\`${name}\``), `docs/cli.md berth mcp lists ${name}`);
  }
});
