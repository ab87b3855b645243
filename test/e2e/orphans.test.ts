// Orphans (issue 13, item 3): a server an agent started without berth, left behind when the
// agent died, is listed by `berth orphans` (port, cwd and its git branch, age), shown by
// `berth gc --orphans --dry-run` and left running, then stopped by `berth gc --orphans` and
// recorded. While its agent lives it is not abandoned; a service berth started is never an
// orphan; another live agent session's server is never collected. gc is always given --pid
// here: this machine is shared, and other tests' abandoned servers are not this test's to stop.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CONTRACT } from '../../src/app/contract.ts';
import { startAgent, type StandInAgent } from '../helpers/agent.ts';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { hasCommand, isRunning } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const noPython = !hasCommand('python3') && 'python3 not installed';

interface OrphanDoc {
  pid: number;
  kind: string;
  ports: Array<{ port: number }>;
  cwd: string | null;
  git: { worktree: string; branch: string | null; detached: boolean } | null;
  ageMs: number;
  rssBytes: number | null;
  collectable: boolean;
  fix: string;
  adopt: string;
  reasons: string[];
  identity: { startTicks: number };
}

async function orphans(env: NodeJS.ProcessEnv): Promise<OrphanDoc[]> {
  const doc = ok(await berth(['orphans', '--json'], { env })).json();
  CONTRACT.orphans.parse(doc);
  return doc.orphans;
}

/** A python3 http.server the agent starts in the background, listening on a port from the OS. */
async function startServer(agent: StandInAgent, cwd: string): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  const pid = await agent.background('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1'], { cwd });
  await waitFor(async () => (await berth(['who', String(port), '--json'])).json().listeners.some((l: { processes: Array<{ pid: number }> }) => l.processes.some((p) => p.pid === pid)), {
    what: `python3 -m http.server (pid ${pid}) to listen on :${port}`,
  });
  return { pid, port };
}

/** A directory inside a linked git worktree on branch feature-x: .git is a file naming its gitdir. */
function linkedWorktree(t: Parameters<typeof tempDir>[0]): { top: string; cwd: string } {
  const root = tempDir(t);
  const gitdir = join(root, 'main', '.git', 'worktrees', 'wt');
  mkdirSync(gitdir, { recursive: true });
  writeFileSync(join(gitdir, 'HEAD'), 'ref: refs/heads/feature-x\n');
  const top = join(root, 'wt');
  mkdirSync(join(top, 'site'), { recursive: true });
  writeFileSync(join(top, '.git'), `gitdir: ${gitdir}\n`);
  return { top, cwd: join(top, 'site') };
}

test('a server an agent left behind is listed, shown by a dry run, then stopped by gc --orphans and recorded', { skip: noPython }, async (t) => {
  const { env } = daemonHome(t);
  ok(await berth(['daemon', 'start'], { env }));
  const { top, cwd } = linkedWorktree(t);
  const agent = await startAgent(t, env);
  const server = await startServer(agent, cwd);

  // the live session case: its agent is alive, so it is not abandoned
  assert.ok(!(await orphans(env)).some((o) => o.pid === server.pid), 'a process of a live agent session is never listed');

  await agent.kill();
  const listed = await waitFor(async () => (await orphans(env)).find((o) => o.pid === server.pid), { what: `berth orphans to list pid ${server.pid}` });
  assert.equal(listed.kind, 'agent-abandoned', listed.reasons.join('; '));
  assert.ok(listed.collectable);
  assert.deepEqual(listed.ports.map((p) => p.port), [server.port]);
  assert.equal(listed.cwd, cwd);
  assert.deepEqual(listed.git, { worktree: top, branch: 'feature-x', detached: false });
  assert.ok(listed.ageMs >= 0 && listed.ageMs < 120_000, `age ${listed.ageMs} ms`);
  assert.ok(listed.rssBytes !== null && listed.rssBytes > 0);
  // scoped to this one process and its start time (trial #3, adversarial #7); named after the command (trial #17)
  assert.equal(listed.fix, `berth gc --orphans --pid ${server.pid}:${listed.identity.startTicks}`);
  assert.equal(listed.adopt, `berth adopt http-server --pid ${server.pid}`);
  assert.match(listed.reasons.join('; '), /CLAUDECODE=1/);

  // the text listing and doctor's section name it and the command
  const text = ok(await berth(['orphans'], { env })).stdout;
  assert.match(text, new RegExp(`${server.pid}\\s+agent-abandoned\\s+:${server.port}`));
  assert.ok(text.includes(`stop it: ${listed.fix}`), text);
  assert.doesNotMatch(text, /berth gc --orphans(?! --pid)(?! --dry-run)/, 'no unscoped gc is suggested');
  const doctor = (await berth(['doctor', '--json'], { env })).json();
  const finding = doctor.findings.find((f: { subject: string }) => f.subject === `pid ${server.pid}`);
  assert.equal(finding?.kind, 'orphan', JSON.stringify(doctor.findings));
  assert.equal(finding.severity, 'warning');
  assert.ok(finding.fix.startsWith(`${listed.fix} `), finding.fix);

  // a start time that is not the process's: not signalled, reported per pid
  const wrong = ok(await berth(['gc', '--orphans', '--pid', `${server.pid}:${listed.identity.startTicks + 1}`, '--json'], { env })).json();
  CONTRACT.gc.parse(wrong);
  assert.deepEqual(wrong.orphans.stopped, []);
  assert.equal(wrong.orphans.skipped[0]?.pid, server.pid, JSON.stringify(wrong));
  assert.match(wrong.orphans.skipped[0].why, /another process/);
  assert.ok(isRunning(server.pid));

  const dry = ok(await berth(['gc', '--orphans', '--dry-run', '--json'], { env })).json();
  CONTRACT.gc.parse(dry);
  assert.ok(dry.orphans.found.some((o: OrphanDoc) => o.pid === server.pid), JSON.stringify(dry));
  assert.deepEqual(dry.orphans.stopped, []);
  assert.ok(isRunning(server.pid), 'a dry run leaves it running');

  const gc = ok(await berth([...listed.fix.split(' ').slice(1), '--json'], { env })).json();
  CONTRACT.gc.parse(gc);
  assert.deepEqual(gc.orphans.stopped.map((s: { pid: number; outcome: string }) => [s.pid, s.outcome]), [[server.pid, 'stopped']], JSON.stringify(gc));
  await waitFor(() => !isRunning(server.pid), { what: `pid ${server.pid} to be gone` });
  const events = ok(await berth(['events', '--json'], { env })).json().events;
  const event = events.find((e: { verb: string; details?: Record<string, unknown> }) => e.verb === 'gc' && e.details?.action === 'stop-orphan');
  assert.ok(event, JSON.stringify(events));
  assert.equal(event.subject, `:${server.port}`);
  assert.equal(event.details.pid, server.pid);
  assert.equal(event.details.port, server.port);
  assert.match(String(event.details.command), /http\.server/);
  assert.match(event.actor, /^cli:berth gc/);
});

test('a service berth started is never an orphan, even with an agent marker and no agent alive', async (t) => {
  const { env } = daemonHome(t);
  const run = ok(await berth(['run', 'p/web', '--port', 'auto', '--env', 'CLAUDECODE=1', '--json', '--', process.execPath, SERVICE, '--http'], { env })).json();
  const pid = run.service.pid as number;
  assert.ok(!(await orphans(env)).some((o) => o.pid === pid), 'a berth service is not listed');
  const dry = ok(await berth(['gc', '--orphans', '--dry-run', '--json'], { env })).json();
  assert.ok(!dry.orphans.found.some((o: OrphanDoc) => o.pid === pid));
});

test('gc --orphans stops the server of a session that is gone, not that of another agent session still alive', { skip: noPython }, async (t) => {
  const { env } = daemonHome(t);
  const gone = await startAgent(t, env);
  const left = await startServer(gone, tempDir(t));
  await gone.kill();
  // a second agent session, alive, started after the first one's server
  const live = await startAgent(t, env);
  const kept = await startServer(live, tempDir(t));
  await waitFor(async () => (await orphans(env)).some((o) => o.pid === left.pid), { what: `pid ${left.pid} to be listed` });
  assert.ok(!(await orphans(env)).some((o) => o.pid === kept.pid), 'the live session\'s server is not listed');

  const gc = ok(await berth(['gc', '--orphans', '--pid', String(left.pid), '--pid', String(kept.pid), '--json'], { env })).json();
  assert.deepEqual(gc.orphans.found.map((o: OrphanDoc) => o.pid), [left.pid], JSON.stringify(gc));
  await waitFor(() => !isRunning(left.pid), { what: `pid ${left.pid} to be gone` });
  assert.ok(isRunning(kept.pid), 'the live session\'s server runs on');
});

// New-user trial #4: gc --pid without --orphans ran a full gc; a pid that is no collectable orphan was left without a word.
test('gc --pid needs --orphans; gc --orphans --pid says why each pid that is no collectable orphan is left', async (t) => {
  const { env } = daemonHome(t);
  const bare = await berth(['gc', '--pid', '123', '--json'], { env });
  assert.equal(bare.code, 2, String(bare));
  assert.equal(bare.json().error.code, 'pid_without_orphans');
  const run = ok(await berth(['run', 'p/web', '--port', 'auto', '--env', 'CLAUDECODE=1', '--json', '--', process.execPath, SERVICE, '--http'], { env })).json();
  const svc = run.service.pid as number;
  const gone = 4_194_000; // above any pid this host hands out (pid_max is at most 2^22)
  const gc = ok(await berth(['gc', '--orphans', '--pid', String(svc), '--pid', String(gone), '--json'], { env })).json();
  CONTRACT.gc.parse(gc);
  assert.deepEqual(gc.orphans.stopped, []);
  assert.deepEqual(gc.orphans.skipped, [{ pid: svc, why: 'not an orphan: a berth service' }, { pid: gone, why: 'not found' }], JSON.stringify(gc));
  assert.ok(isRunning(svc));
  const text = ok(await berth(['gc', '--orphans', '--pid', String(gone)], { env })).stdout;
  assert.equal(text, `pid ${gone}: not found\n`);
});
