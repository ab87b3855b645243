// Projects as namespaces (issue 12, items 1-3), with real processes: two checkouts of one repo
// (one a git worktree of the other) each declare `web`; both run, each with its own leased
// port, and a bare name means the caller's project's service, or is refused as ambiguous.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { git } from '../helpers/git.ts';
import { tempDir } from '../helpers/home.ts';
import { isAlive } from '../../src/core/identity.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));

interface Svc {
  name: string;
  project: string | null;
  fullName: string;
  state: string;
  pid: number | null;
  port: number | null;
  identity: { pid: number; startTicks: number; bootId: string } | null;
}

test('two worktrees each declaring web: both run on their own ports; a bare name is the caller\'s project\'s; ambiguous from / is exit 2', async (t) => {
  const { env } = daemonHome(t);
  const root = tempDir(t);
  const main = join(root, 'shop');
  mkdirSync(main);
  writeFileSync(join(main, 'berth.yaml'), `services:\n  web:\n    run: ["${process.execPath}", "${LISTEN}", "--port", "$PORT"]\n    port: auto\n`);
  git(main, ['init', '-q']);
  git(main, ['add', 'berth.yaml']);
  git(main, ['commit', '-q', '-m', 'init']);
  const other = join(root, 'shop-b');
  git(main, ['worktree', 'add', '-q', other]);

  const upA = ok(await berth(['up', '--json'], { env, cwd: main })).json();
  const upB = ok(await berth(['up', '--json'], { env, cwd: other })).json();
  assert.equal(upA.project, 'shop');
  assert.equal(upB.project, 'shop-b');
  const a = upA.services[0].service as Svc;
  const b = upB.services[0].service as Svc;
  assert.equal(upB.services[0].outcome, 'started', 'the second checkout starts its own web, it does not replace the first');
  assert.deepEqual([a.fullName, b.fullName], ['shop/web', 'shop-b/web']);
  assert.notEqual(a.port, b.port);
  assert.notEqual(a.pid, b.pid);

  // ps shows both, project and name apart; --project narrows
  const ps = ok(await berth(['ps', '--json'], { env, cwd: root })).json().services as Svc[];
  assert.deepEqual(ps.map((s) => [s.project, s.name, s.state !== 'stopped']).sort(), [['shop', 'web', true], ['shop-b', 'web', true]]);
  const text = ok(await berth(['ps'], { env, cwd: root })).stdout;
  assert.match(text, /PROJECT\s+NAME/);
  assert.match(text, /shop-b\s+web/);
  assert.deepEqual((ok(await berth(['ps', '--project', 'shop-b', '--json'], { env })).json().services as Svc[]).map((s) => s.fullName), ['shop-b/web']);

  // `berth port web` in each checkout is that checkout's lease, the port its web runs on
  assert.equal(Number(ok(await berth(['port', 'web'], { env, cwd: main })).stdout.trim()), a.port);
  assert.equal(Number(ok(await berth(['port', 'web'], { env, cwd: other })).stdout.trim()), b.port);

  // a bare name from / (no project) names two services: refused, listing both
  const amb = await berth(['stop', 'web', '--json'], { env, cwd: '/' });
  assert.equal(amb.code, 2, amb.toString());
  assert.equal(amb.json().error.code, 'ambiguous_name');
  assert.deepEqual(amb.json().error.details.candidates, ['shop-b/web', 'shop/web']);
  assert.ok(isAlive(a.identity!) && isAlive(b.identity!), 'the refused stop touched nothing');

  // stop web in the worktree stops only the worktree's
  const stopped = ok(await berth(['stop', 'web', '--json'], { env, cwd: other })).json().service as Svc;
  assert.equal(stopped.fullName, 'shop-b/web');
  assert.equal(isAlive(b.identity!), false);
  assert.equal(isAlive(a.identity!), true, "the other checkout's web still runs");

  // once the worktree's is removed, the name is unique across projects: a bare name from / resolves
  assert.equal(ok(await berth(['rm', 'web', '--json'], { env, cwd: other })).json().removed.fullName, 'shop-b/web');
  assert.equal((ok(await berth(['ps', 'web', '--json'], { env, cwd: '/' })).json().services[0] as Svc).fullName, 'shop/web');
  ok(await berth(['stop', 'shop/web'], { env, cwd: '/' }));
  assert.equal(isAlive(a.identity!), false);
});

test('two directories with the same name get two projects: the second with a stable suffix, said once', async (t) => {
  const { env } = daemonHome(t);
  const root = tempDir(t);
  const one = join(root, 'a', 'app');
  const two = join(root, 'b', 'app');
  mkdirSync(one, { recursive: true });
  mkdirSync(two, { recursive: true });
  const run = (cwd: string) => berth(['run', 'job', '--json', '--', 'sleep', '100'], { env, cwd });
  const first = ok(await run(one));
  assert.equal(first.json().service.fullName, 'app/job');
  const second = ok(await run(two));
  const suffixed = second.json().service.project as string;
  assert.match(suffixed, /^app-[0-9a-f]{4}$/);
  assert.match(second.stderr, new RegExp(`project "app" is already .*; .* is project "${suffixed}"`));
  const again = ok(await berth(['port', 'job'], { env, cwd: two }));
  assert.doesNotMatch(again.stderr, /already/, 'said once');
  assert.equal(ok(await berth(['ps', 'job', '--json'], { env, cwd: two })).json().services[0].project, suffixed);
  // BERTH_PROJECT overrides the directory's
  const named = ok(await berth(['run', 'job', '--json', '--', 'sleep', '100'], { env: { ...env, BERTH_PROJECT: 'mine' }, cwd: two }));
  assert.equal(named.json().service.fullName, 'mine/job');
  for (const name of ['app/job', `${suffixed}/job`, 'mine/job']) ok(await berth(['rm', name], { env }));
});
