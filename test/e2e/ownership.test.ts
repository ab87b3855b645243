// The ownership rule on every acting verb (issue 12, item 4), with a real process standing for
// a live agent session (test/fixtures/agents/codex.mjs, kept alive by a sleep under it): another
// session is refused stop/restart/rm/run-replace/up-replace/down/free (exit 3, owned_elsewhere,
// naming the owner), may act with --force (an override event names both sessions), restart keeps
// the owner unless --take; an ended agent session's service is anyone's; the same through MCP.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { berth, CLI, type CliResult, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { connectMcp, type McpResult as Result } from '../helpers/mcp.ts';
import { tempDir } from '../helpers/home.ts';
import { isRunning, start } from '../helpers/procs.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const AGENT = fileURLToPath(new URL('../fixtures/agents/codex.mjs', import.meta.url));
const node = process.execPath;

interface Svc {
  name: string;
  state: string;
  pid: number | null;
  port: number | null;
  owner: { session: string; agent?: string } | null;
}
interface Ev {
  verb: string;
  subject: string;
  owner: { session: string } | null;
  details?: Record<string, unknown>;
}

async function svc(env: NodeJS.ProcessEnv, name: string): Promise<Svc> {
  const s = (ok(await berth(['ps', '--all', '--json'], { env })).json().services as Svc[]).find((x) => x.name === name);
  assert.ok(s, `service ${name} is listed`);
  return s;
}

async function events(env: NodeJS.ProcessEnv, verb: string): Promise<Ev[]> {
  return (ok(await berth(['events', '--json'], { env })).json().events as Ev[]).filter((e) => e.verb === verb);
}

/** A live agent session (node codex.mjs, alive while the sleep under it runs) that started `name`. */
async function agentService(t: TestContext, env: NodeJS.ProcessEnv, name: string): Promise<Svc> {
  const noSession = { ...env };
  delete noSession.BERTH_SESSION;
  const script = `"${node}" "${CLI}" run ${name} --port auto -- "${node}" "${SERVICE}" --http --${name} && echo started && exec sleep 1000`;
  const agent = start(t, node, [AGENT, 'sh', '-c', script], { env: noSession });
  await agent.line(/started/, 30_000);
  const s = await svc(env, name);
  assert.match(s.owner?.session ?? '', new RegExp(`^codex:${agent.pid}:\\d+$`), 'owned by the live agent session');
  return s;
}

function refused(r: CliResult, owner: string): void {
  assert.equal(r.code, 3, r.toString());
  const e = r.json().error;
  assert.equal(e.code, 'owned_elsewhere', r.toString());
  assert.equal(e.details.owner, owner);
  assert.equal(e.details.agent, 'codex');
  assert.match(e.message, new RegExp(`belongs to session ${owner} \\(agent codex\\), which is still alive, running for \\d+s`));
  assert.match(e.hint, /--force/);
}

test('another live session\'s service is refused to every acting verb without --force, done with it and recorded', async (t) => {
  // one project for all, so that `up` in another directory declares the same service, p/web (decision 0016)
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' };
  const web = await agentService(t, env, 'web');
  const owner = web.owner!.session;

  // refused, each acting verb, from this (another, live) session
  refused(await berth(['stop', 'web', '--json'], { env }), owner);
  refused(await berth(['restart', 'web', '--json'], { env }), owner);
  refused(await berth(['rm', 'web', '--json'], { env }), owner);
  refused(await berth(['run', 'web', '--port', 'auto', '--json', '--', node, SERVICE, '--http', '--other'], { env }), owner);
  refused(await berth(['free', String(web.port), '--json'], { env }), owner);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  web:\n    run: ${node} ${SERVICE} --http --from-yaml\n    port: auto\n`);
  refused(await berth(['up', '--json'], { env, cwd: dir }), owner);
  refused(await berth(['down', '--json'], { env, cwd: dir }), owner);
  const text = await berth(['stop', 'web'], { env });
  assert.match(text.stderr, new RegExp(`will not stop "p/web": it belongs to session ${owner}`));
  assert.match(text.stderr, /berth stop p\/web --force/);
  const still = await svc(env, 'web');
  assert.deepEqual([still.pid, still.owner?.session], [web.pid, owner], 'untouched');
  assert.ok(isRunning(web.pid!));
  assert.equal((await events(env, 'override')).length, 0, 'nothing overridden yet');

  // restart --force: done, and it keeps its owner; the override names both sessions
  const restarted = ok(await berth(['restart', 'web', '--force', '--json'], { env })).json().service as Svc;
  assert.notEqual(restarted.pid, web.pid);
  assert.equal(restarted.owner?.session, owner, 'restart keeps the owner');
  const [override] = await events(env, 'override');
  assert.ok(override, 'the override is on the record');
  assert.equal(override.subject, 'p/web');
  assert.equal(override.owner?.session, env.BERTH_SESSION, 'who overrode');
  assert.deepEqual([override.details?.action, override.details?.forced_over, override.details?.forced_over_agent, override.details?.by], ['restart', owner, 'codex', env.BERTH_SESSION]);

  // stop --force: stopped, recorded
  assert.equal((ok(await berth(['stop', 'web', '--force', '--json'], { env })).json().service as Svc).state, 'stopped');
  assert.ok(!isRunning(restarted.pid!));
  assert.deepEqual((await events(env, 'override')).map((e) => e.details?.action).sort(), ['restart', 'stop']);

  // restart --take (with --force: it is still the live agent's): it becomes mine, recorded
  const taken = ok(await berth(['restart', 'web', '--force', '--take', '--json'], { env })).json().service as Svc;
  assert.equal(taken.owner?.session, env.BERTH_SESSION, 'taken');
  const [take] = await events(env, 'take');
  assert.deepEqual([take?.subject, take?.details?.from, take?.details?.to], ['p/web', owner, env.BERTH_SESSION]);
  // now mine: no force needed, no override recorded
  ok(await berth(['stop', 'web'], { env }));
  assert.equal((await events(env, 'override')).length, 3);
});

test('a service whose agent session has ended is anyone\'s: stop and rm need no --force', async (t) => {
  const { env } = daemonHome(t);
  const noSession = { ...env };
  delete noSession.BERTH_SESSION;
  // the agent starts it and ends (codex.mjs exits once berth run returns)
  const agent = start(t, node, [AGENT, node, CLI, 'run', 'old', '--', node, SERVICE, '--old'], { env: noSession });
  assert.equal((await agent.exited).code, 0, agent.output());
  const old = await svc(env, 'old');
  assert.match(old.owner?.session ?? '', /^codex:\d+:\d+$/);
  assert.equal(old.state, 'running');
  assert.equal((ok(await berth(['stop', 'old', '--json'], { env })).json().service as Svc).state, 'stopped');
  ok(await berth(['rm', 'old'], { env }));
  assert.equal((await events(env, 'override')).length, 0, 'no override: the owner was gone');
});

test('MCP: the same refusal, and force', async (t) => {
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' };
  const api = await agentService(t, env, 'api');
  const owner = api.owner!.session;
  const client = await connectMcp(t, env);

  const no = (await client.callTool({ name: 'stop', arguments: { name: 'api' } })) as Result;
  assert.equal(no.isError, true, JSON.stringify(no));
  assert.equal(no._meta!['berth/error'].code, 'owned_elsewhere');
  assert.equal(no._meta!['berth/error'].details.owner, owner);
  assert.match(no.content[0]!.text!, /the stop \{"name":"p\/api","force":true\} tool call/, 'the hint is a tool call with force');
  assert.doesNotMatch(no.content[0]!.text!, /berth stop/);
  assert.ok(isRunning(api.pid!));

  const yes = (await client.callTool({ name: 'stop', arguments: { name: 'api', force: true } })) as Result;
  assert.ok(!yes.isError, JSON.stringify(yes));
  assert.equal(yes.structuredContent.service.state, 'stopped');
  const [override] = await events(env, 'override');
  assert.deepEqual([override?.details?.action, override?.details?.forced_over, override?.owner?.session], ['stop', owner, env.BERTH_SESSION]);
});
