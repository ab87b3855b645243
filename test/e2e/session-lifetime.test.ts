// Session lifetimes end to end (issue 13, decision 0017), with real processes: a server an agent
// started with `berth run` ends within seconds of the agent, with a `reap` event naming its
// session; --keep and berth.yaml services run on; a daemon that was down when the session ended
// reaps at its next start (and `berth gc` sees what it did not get to); a terminal session's
// services are reaped only with --until-session-ends.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAgent } from '../helpers/agent.ts';
import { berth, CLI } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { hasCommand, isRunning, stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;

interface Svc {
  fullName: string;
  state: string;
  pid: number | null;
  lifetime: string;
  detail: string | null;
}

async function services(env: NodeJS.ProcessEnv): Promise<Map<string, Svc>> {
  const r = await berth(['ps', '--all', '--json'], { env });
  assert.equal(r.code, 0, r.toString());
  return new Map((r.json().services as Svc[]).map((s) => [s.fullName, s]));
}

async function reapEvents(env: NodeJS.ProcessEnv): Promise<{ subject: string; details: Record<string, unknown> }[]> {
  const r = await berth(['events', '--json', '--limit', '200'], { env });
  assert.equal(r.code, 0, r.toString());
  return r.json().events.filter((e: { verb: string }) => e.verb === 'reap');
}

test('an agent\'s berth run server ends with the agent (reap event); --keep and berth.yaml services run on', async (t) => {
  const { env } = daemonHome(t);
  const agent = await startAgent(t, env);
  const dir = tempDir(t, 'berth-lifetime-');
  writeFileSync(join(dir, 'berth.yaml'), `name: y\nservices:\n  api:\n    run: ${JSON.stringify(`${node} ${SERVICE}`)}\n`);

  const web = await agent.berth(['run', 'p/web', '--port', 'auto', '--', node, SERVICE, '--http']);
  assert.equal(web.code, 0, web.toString());
  assert.match(web.stderr, new RegExp(`p/web stops when session ${agent.session} ends \\(berth run --keep keeps it running\\)`), 'run says what will happen');
  const before = await services(env);
  assert.equal(before.get('p/web')?.lifetime, 'session', 'an agent session\'s run ends with it by default');
  const kept = await agent.berth(['run', 'p/kept', '--keep', '--json', '--', node, SERVICE]);
  assert.equal(kept.code, 0, kept.toString());
  assert.equal(kept.json().service.lifetime, 'keep');
  const up = await agent.berth(['up', '--json'], { cwd: dir });
  assert.equal(up.code, 0, up.toString());
  assert.equal(up.json().services[0].service.lifetime, 'keep', 'berth.yaml services are kept by default');
  const webPid = before.get('p/web')!.pid!;

  await agent.kill();
  const t0 = Date.now();
  await waitFor(() => !isRunning(webPid), { timeoutMs: 5_000, intervalMs: 50, what: `p/web (pid ${webPid}) to be reaped within 5 s of the agent's end` });
  const reapMs = Date.now() - t0;
  const after = await services(env);
  assert.equal(after.get('p/web')?.state, 'stopped', 'the record stays, stopped');
  assert.match(after.get('p/web')?.detail ?? '', new RegExp(`reaped: its session ${agent.session} \\(claude\\) ended`));
  assert.equal(after.get('p/kept')?.state, 'running');
  assert.ok(isRunning(after.get('p/kept')!.pid!));
  assert.equal(after.get('y/api')?.state, 'running');
  const reaps = await reapEvents(env);
  assert.deepEqual(reaps.map((e) => [e.subject, e.details.session, e.details.agent]), [['p/web', agent.session, 'claude']], `reaped in ${reapMs} ms`);
});

test('a daemon that was down when the agent ended reaps at its next start; gc sees it meanwhile', async (t) => {
  const { env } = daemonHome(t);
  const agent = await startAgent(t, env);
  const web = await agent.berth(['run', 'p/web', '--json', '--', node, SERVICE]);
  assert.equal(web.code, 0, web.toString());
  const pid = web.json().service.pid as number;
  const stop = await berth(['daemon', 'stop'], { env });
  assert.equal(stop.code, 0, stop.toString());
  await agent.kill();
  assert.ok(isRunning(pid), 'no daemon: nothing reaps it yet');

  const dry = await berth(['gc', '--dry-run', '--json'], { env });
  assert.equal(dry.code, 0, dry.toString());
  assert.ok(dry.json().actions.some((a: { kind: string; subject: string }) => a.kind === 'stop-service' && a.subject === 'p/web'), 'gc shares the rule: ' + dry.stdout);
  assert.ok(isRunning(pid), 'a dry run stops nothing');

  const start = await berth(['daemon', 'start'], { env });
  assert.equal(start.code, 0, start.toString());
  await waitFor(() => !isRunning(pid), { timeoutMs: 5_000, intervalMs: 50, what: 'the reap at the daemon\'s start' });
  assert.equal((await services(env)).get('p/web')?.state, 'stopped');
  assert.deepEqual((await reapEvents(env)).map((e) => e.details.session), [agent.session]);
});

test('a terminal session\'s services are reaped only with --until-session-ends', async (t) => {
  if (!hasCommand('setsid')) return t.skip('no setsid');
  const { env: base } = daemonHome(t);
  const env = { ...base };
  delete env.BERTH_SESSION;
  const dir = tempDir(t, 'berth-terminal-');
  // a session leader of its own (setsid -f: re-parented, so no agent is among its ancestors) that
  // runs two berth commands and then lives until the test ends it
  const script = [
    `echo $$ > ${dir}/leader`,
    `${node} ${CLI} run p/scoped --until-session-ends --json -- ${node} ${SERVICE} > ${dir}/scoped.json`,
    `${node} ${CLI} run p/plain --json -- ${node} ${SERVICE} > ${dir}/plain.json`,
    `echo done > ${dir}/done`,
    'exec sleep 600',
  ].join('; ');
  const r = spawnSync('setsid', ['-f', 'sh', '-c', script], { env, stdio: 'ignore' });
  assert.equal(r.status, 0);
  const leader = await waitFor(() => {
    try {
      return Number(readFileSync(join(dir, 'leader'), 'utf8'));
    } catch {
      return undefined;
    }
  }, { what: 'the session leader' });
  t.after(() => stopPid(leader, 2000));
  await waitFor(() => {
    try {
      return readFileSync(join(dir, 'done'), 'utf8').length > 0;
    } catch {
      return false;
    }
  }, { timeoutMs: 30_000, what: 'the two runs in the terminal session' });
  const scoped = JSON.parse(readFileSync(join(dir, 'scoped.json'), 'utf8')).service;
  const plain = JSON.parse(readFileSync(join(dir, 'plain.json'), 'utf8')).service;
  if (scoped.owner.source !== 'terminal') return t.skip(`the test's own ancestry made the owner ${scoped.owner.source} (${scoped.owner.session})`);
  assert.equal(scoped.lifetime, 'session');
  assert.equal(plain.lifetime, 'keep', 'a terminal session\'s run is kept by default');

  await stopPid(leader, 2000);
  await waitFor(() => !isRunning(scoped.pid), { timeoutMs: 5_000, intervalMs: 50, what: 'the --until-session-ends service to be reaped' });
  assert.ok(isRunning(plain.pid), 'the other runs on');
  assert.deepEqual((await reapEvents(base)).map((e) => e.subject), ['p/scoped']);
});
