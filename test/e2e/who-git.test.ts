// who and ports name the git checkout a holder works in (issue 15, item 4): three listeners, one
// in a repository on branch feature-x, one in a linked worktree (git worktree add), one in a
// detached HEAD, each shown with its worktree and branch in --json (CLI and MCP, the same
// document), in who's text and in a BRANCH column of ports that is there only when some holder
// is in a checkout. A holder in a checkout whose HEAD is a FIFO is answered at once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CONTRACT } from '../../src/app/contract.ts';
import { berth, ok } from '../helpers/cli.ts';
import { git, makeCheckouts } from '../helpers/git.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { connectMcp } from '../helpers/mcp.ts';
import { start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));

interface GitDoc {
  worktree: string;
  branch: string | null;
  detached: boolean;
}

async function listen(t: Parameters<typeof start>[0], cwd: string): Promise<{ pid: number; port: number }> {
  const server = start(t, process.execPath, [LISTEN, '--host', '127.0.0.1'], { cwd });
  return { pid: server.pid, port: Number((await server.line(/listening (\d+)/))[1]) };
}

async function gitOfHolder(env: NodeJS.ProcessEnv, port: number, pid: number): Promise<GitDoc | null> {
  const doc = ok(await berth(['who', String(port), '--json'], { env })).json();
  CONTRACT['who-port'].parse(doc);
  const p = doc.listeners.flatMap((l: { processes: Array<{ pid: number; git: GitDoc | null }> }) => l.processes).find((x: { pid: number }) => x.pid === pid);
  assert.ok(p, JSON.stringify(doc));
  return p.git;
}

test('who and ports show the worktree and branch of each holder: a branch, a linked worktree, a detached HEAD', async (t) => {
  const { env } = tempHome(t);
  const c = makeCheckouts(tempDir(t));
  const onBranch = await listen(t, join(c.main, 'src'));
  const linked = await listen(t, c.linked);
  const detached = await listen(t, c.detached);
  const short = git(c.detached, ['rev-parse', '--short=7', 'HEAD']);

  assert.deepEqual(await gitOfHolder(env, onBranch.port, onBranch.pid), { worktree: c.main, branch: 'feature-x', detached: false });
  assert.deepEqual(await gitOfHolder(env, linked.port, linked.pid), { worktree: c.linked, branch: 'linked-y', detached: false });
  assert.deepEqual(await gitOfHolder(env, detached.port, detached.pid), { worktree: c.detached, branch: short, detached: true });

  // who's text: one line per holder naming the worktree and branch
  const text = ok(await berth(['who', String(onBranch.port)], { env })).stdout;
  assert.ok(text.includes(`pid ${onBranch.pid} is in git worktree ${c.main} on branch feature-x`), text);
  const detachedText = ok(await berth(['who', String(detached.port)], { env })).stdout;
  assert.ok(detachedText.includes(`pid ${detached.pid} is in git worktree ${c.detached}, detached at ${short}`), detachedText);

  // ports --json: the same field on every listener's processes
  const ports = ok(await berth(['ports', '--json'], { env })).json();
  CONTRACT.ports.parse(ports);
  const byPort = new Map(ports.listeners.map((l: { port: number; processes: Array<{ git: GitDoc | null }> }) => [l.port, l.processes[0]?.git]));
  assert.equal((byPort.get(linked.port) as GitDoc).branch, 'linked-y');

  // ports text: a BRANCH column, with each listener's branch in it
  const table = ok(await berth(['ports'], { env })).stdout;
  const header = table.split('\n').find((l) => /^\s+PORT\s+PROTO/.test(l));
  assert.match(header ?? '', /\bBRANCH\b/, table);
  assert.match(table, new RegExp(`\\n\\s+${onBranch.port}\\s.*\\sfeature-x\\s`), table);
  assert.match(table, new RegExp(`\\n\\s+${detached.port}\\s.*\\sdetached ${short}\\s`), table);

  // MCP: the who tool returns the same document
  const client = await connectMcp(t, env);
  const viaMcp = (await client.callTool({ name: 'who', arguments: { target: String(linked.port) } })) as { structuredContent?: any };
  CONTRACT['who-port'].parse(viaMcp.structuredContent);
  assert.deepEqual(viaMcp.structuredContent.listeners[0].processes[0].git, { worktree: c.linked, branch: 'linked-y', detached: false });
});

test('ports shows a BRANCH column exactly when some holder has a branch, and a FIFO HEAD is answered at once', async (t) => {
  const { env } = tempHome(t);
  const root = tempDir(t);
  const plain = join(root, 'plain');
  mkdirSync(plain);
  const hostile = join(root, 'hostile');
  mkdirSync(join(hostile, '.git'), { recursive: true });
  execFileSync('mkfifo', [join(hostile, '.git', 'HEAD')]);
  const inPlain = await listen(t, plain);
  const inHostile = await listen(t, hostile);
  assert.equal(await gitOfHolder(env, inPlain.port, inPlain.pid), null);
  assert.deepEqual(await gitOfHolder(env, inHostile.port, inHostile.pid), { worktree: hostile, branch: null, detached: false });
  const text = ok(await berth(['who', String(inHostile.port)], { env })).stdout;
  assert.ok(text.includes(`pid ${inHostile.pid} is in git worktree ${hostile} (branch unreadable)`), text);
  // the column shows only when some listener's holder has a branch; other tests' and this
  // machine's listeners may be in checkouts, so the check is on the row: no dash-padded column.
  // The table and the document are two calls; files running at the same time start and stop
  // listeners between them, so both are taken again until they list the same ports.
  const { table, withBranches } = await waitFor(async () => {
    const text = ok(await berth(['ports'], { env })).stdout;
    const listeners = ok(await berth(['ports', '--json'], { env })).json().listeners as Array<{ port: number; processes: Array<{ pid: number; git: GitDoc | null }> }>;
    // the same listeners held by the same first pids (a service restarted between the two calls is another holder)
    const inTable = text.split('\n').flatMap((l) => /^\s+(\d+)\s+(?:tcp|udp)\s+\S+\s+(\d+|\?)/.exec(l)?.slice(1, 3).join(':') ?? []);
    const inDoc = listeners.map((l) => `${l.port}:${l.processes[0]?.pid ?? '?'}`);
    const same = [...new Set(inTable)].sort().join() === [...new Set(inDoc)].sort().join();
    return same && { table: text, withBranches: listeners.some((l) => l.processes[0]?.git?.branch) };
  }, { what: 'berth ports and ports --json to list the same listeners', timeoutMs: 30_000 });
  const header = table.split('\n').find((l) => /^\s+PORT\s+PROTO/.test(l)) ?? '';
  const row = table.split('\n').find((l) => new RegExp(`^\\s+${inPlain.port}\\s`).test(l)) ?? '';
  const hasBranch = /\bBRANCH\b/.test(header);
  assert.equal(hasBranch, withBranches, `the BRANCH column is there exactly when some holder has a branch:\n${table}`);
  if (hasBranch) assert.match(row, /\s-\s+\S*node/, `a holder outside a checkout has '-' in it:\n${table}`);
});
