// Eviction and free stop the holder and its descendants, never its process group (whose other
// members may be the requester itself), never berth's own daemon, and never a holder berth
// cannot see: a socket of another user is a holder, refused and named, not "nothing".
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { assertBystandersAlive, countHostile, startBystander } from '../helpers/adversarial.ts';
import { berth, CLI, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { isRunning, start } from '../helpers/procs.ts';
import { noSecondUser, secondUser } from '../helpers/users.ts';
import { waitFor } from '../helpers/wait.ts';

const SQUATTER = fileURLToPath(new URL('../fixtures/group-squatter.mjs', import.meta.url));
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const node = process.execPath;

interface BerthEvent {
  verb: string;
  subject: string;
  details: Record<string, unknown>;
}

async function events(env: NodeJS.ProcessEnv): Promise<BerthEvent[]> {
  return ok(await berth(['events', '--json'], { env })).json().events;
}

/** Starts a squatter on a fresh port whose process group holds `berth ARGS` (run in the background). */
async function squatterWith(t: Parameters<typeof start>[0], env: NodeJS.ProcessEnv, args: (port: number) => string[]) {
  const out = tempDir(t);
  const port = await freePort();
  const squatter = start(t, node, [SQUATTER, out, String(port), '--', node, CLI, ...args(port)], { env, detached: true });
  await squatter.line(/listening/);
  const result = await waitFor(() => existsSync(join(out, 'code')) && readFileSync(join(out, 'code'), 'utf8').trim() !== '' && { code: Number(readFileSync(join(out, 'code'), 'utf8')), output: readFileSync(join(out, 'out'), 'utf8') }, {
    timeoutMs: 30_000,
    what: 'the berth command in the squatter\'s group to finish',
  });
  return { port, squatter, ...result };
}

test('evict: a squatter leading the requester\'s process group is evicted alone; the requester is not signalled', async (t) => {
  const { env } = daemonHome(t);
  const bystander = startBystander(t);
  const { squatter, code, output } = await squatterWith(t, env, (port) => ['run', 'hook', '--port', String(port), '--on-conflict', 'evict', '--', node, LISTEN, '--port', '$PORT']);
  assert.equal(code, 0, `berth run survived and started the service:\n${output}`);
  assert.match(output, /started hook/);
  await waitFor(() => !isRunning(squatter.pid), { what: 'the squatter to be gone' });
  const evict = (await events(env)).find((e) => e.verb === 'evict');
  assert.ok(evict, 'an evict event');
  assert.deepEqual(evict.details.pids, [squatter.pid], 'only the squatter was signalled, and the record says so');
  countHostile(t, 1, 'a squatter whose process group holds the evicting berth run');
  assertBystandersAlive(t, [bystander]);
});

test('free: a holder leading the group of `berth free` itself is stopped alone, and free does not wait on its own pid', async (t) => {
  const { env } = daemonHome(t);
  const bystander = startBystander(t);
  const { squatter, code, output, port } = await squatterWith(t, env, (p) => ['free', String(p), '--json']);
  assert.equal(code, 0, output);
  const doc = JSON.parse(output);
  assert.deepEqual(doc.stopped.map((s: { pid: number }) => s.pid), [squatter.pid]);
  await waitFor(() => !isRunning(squatter.pid), { what: 'the squatter to be gone' });
  const free = (await events(env)).find((e) => e.verb === 'evict' && e.details.cause === 'free');
  assert.ok(free, 'a free event');
  assert.equal(free.subject, `:${port}`);
  assert.deepEqual(free.details.pids, [squatter.pid], 'free signalled the holder only (not itself, not its group)');
  countHostile(t, 1, 'a holder whose process group holds berth free');
  assertBystandersAlive(t, [bystander]);
});

test('free refuses to stop berth itself: its daemon (holding berthd.log) and the users of its registry', async (t) => {
  const { home, env } = daemonHome(t);
  const status = ok(await berth(['daemon', 'start', '--json'], { env })).json();
  const daemonPid = status.pid ?? status.daemon?.pid;
  assert.ok(daemonPid, JSON.stringify(status));
  const targets = [join(home, 'logs', 'berthd.log'), join(home, 'berth.db')];
  for (const target of targets) {
    const r = await berth(['free', target, '--json'], { env });
    assert.equal(r.code, 3, `free ${target} is refused:\n${r}`);
    assert.equal(r.json().error.code, 'free_refused', r.toString());
    assert.match(r.json().error.message, /berth's (daemon|registry)/);
    const forced = await berth(['free', target, '--force'], { env });
    assert.equal(forced.code, 3, `--force does not make berth stop itself:\n${forced}`);
  }
  assert.ok(isRunning(daemonPid), 'the daemon is still running');
  ok(await berth(['daemon', 'status'], { env }));
  countHostile(t, targets.length * 2, 'free of berth\'s own log and registry');
  assertBystandersAlive(t, [daemonPid]);
});

// lsof shows a non-root user only its own processes' sockets: the portable backend cannot see this
// listener at all (docs/decisions/0027-inspection-backends.md, "What the portable backend cannot see").
const portableBlind = process.env.BERTH_INSPECT === 'portable' && "the portable backend (lsof) does not show another user's sockets to a non-root berth";
test('another user\'s listener is a holder to a non-root berth: free and run refuse (exit 3) naming the uid', { skip: noSecondUser() || portableBlind }, async (t) => {
  const user = secondUser(t);
  const dir = tempDir(t);
  user.own(dir);
  const home = join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  user.own(home);
  const env = { ...process.env, BERTH_HOME: home, BERTH_SESSION: 'other-user-test', HOME: dir };
  // root listens; the test runs berth as the second user, who cannot read root's file descriptors
  const rootListener = start(t, node, [LISTEN, '--port', '0']);
  const port = Number((await rootListener.line(/listening (\d+)/))[1]);
  const asUser = (args: string[]) => {
    const p = start(t, user.as[0]!, [...user.as.slice(1), node, CLI, ...args], { env, cwd: dir });
    return p.exited.then((s) => ({ code: s.code, output: p.output() }));
  };
  // its daemon is stopped (by pid) with the user's other processes when the user is removed
  const who = await asUser(['who', String(port)]);
  assert.match(who.output, /root/, who.output);
  const free = await asUser(['free', String(port), '--json']);
  assert.equal(free.code, 3, `free refuses, not "nothing holds it":\n${free.output}`);
  const doc = JSON.parse(free.output);
  assert.equal(doc.error.code, 'free_refused');
  assert.match(doc.error.message, /user root \(uid 0\)/);
  for (const policy of ['refuse', 'evict']) {
    const run = await asUser(['run', 'y', '--port', String(port), '--on-conflict', policy, '--json', '--', node, LISTEN, '--port', '$PORT']);
    assert.equal(run.code, 3, `run (${policy}) refuses instead of starting into a crash loop:\n${run.output}`);
    const err = JSON.parse(run.output).error;
    assert.equal(err.code, 'port_held');
    assert.match(err.message, /user root \(uid 0\)/);
  }
  assert.ok(isRunning(rootListener.pid), 'root\'s listener is untouched');
  countHostile(t, 4, 'another user\'s listener seen by a non-root berth');
  assertBystandersAlive(t, [rootListener]);
});
