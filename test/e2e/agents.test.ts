// berth init and berth guard, as an agent's tooling uses them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../helpers/agent.ts';
import { berth, CLI } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { afterOutput } from '../helpers/procs.ts';

function guard(payload: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'guard'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    afterOutput(child, (code) => resolve({ code, stderr }));
    child.stdin.end(payload);
  });
}

test('init adds one marked block, keeps what was there, and changes nothing the second time', async (t) => {
  const { env } = tempHome(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'AGENTS.md'), '# Project rules\n\nUse tabs.\n');
  const first = await berth(['init', '--json'], { env, cwd: dir });
  assert.equal(first.code, 0, first.toString());
  assert.equal(first.json().change, 'added');
  const once = readFileSync(join(dir, 'AGENTS.md'), 'utf8');
  assert.ok(once.startsWith('# Project rules\n\nUse tabs.\n'));
  assert.match(once, /berth run NAME --port auto -- CMD/);
  const second = await berth(['init', '--json'], { env, cwd: dir });
  assert.equal(second.json().change, 'unchanged');
  assert.equal(readFileSync(join(dir, 'AGENTS.md'), 'utf8'), once);
  assert.equal(once.split('berth:begin').length, 2, 'one block');

  const claude = await berth(['init', '--agent', 'claude'], { env, cwd: dir });
  assert.equal(claude.code, 0);
  assert.match(claude.stdout, /created .*CLAUDE\.md/);
  assert.match(claude.stdout, /claude mcp add berth -- berth mcp/);
  const bad = await berth(['init', '--agent', 'emacs'], { env, cwd: dir });
  assert.equal(bad.code, 2);
});

test('init picks CLAUDE.md from a Claude Code session (CLAUDECODE=1, or a claude ancestor), AGENTS.md otherwise, and says why', async (t) => {
  const { env } = tempHome(t);
  const plain = tempDir(t);
  const outside = await berth(['init', '--json'], { env: { ...env, CLAUDECODE: '' }, cwd: plain });
  assert.equal(outside.code, 0, outside.toString());
  assert.equal(outside.json().agent, 'generic');
  assert.equal(outside.json().file, join(plain, 'AGENTS.md'));
  assert.match(outside.json().reason, /not run from a Claude Code session/);

  const byEnv = tempDir(t);
  const marked = await berth(['init'], { env: { ...env, CLAUDECODE: '1' }, cwd: byEnv });
  assert.equal(marked.code, 0, marked.toString());
  assert.match(marked.stdout, /created .*CLAUDE\.md \(run from a Claude Code session \(CLAUDECODE=1\)\)/);
  assert.ok(existsSync(join(byEnv, 'CLAUDE.md')) && !existsSync(join(byEnv, 'AGENTS.md')));

  // the stand-in agent (argv[0] claude); CLAUDECODE emptied, so only the ancestor tells
  const agent = await startAgent(t, env);
  const byAncestor = tempDir(t);
  const found = await agent.berth(['init', '--json'], { cwd: byAncestor, env: { CLAUDECODE: '' } });
  assert.equal(found.code, 0, found.toString());
  assert.equal(found.json().file, join(byAncestor, 'CLAUDE.md'));
  assert.match(found.json().reason, new RegExp(`claude, pid ${agent.pid}`));

  // an explicit --agent still wins
  const generic = await agent.berth(['init', '--agent', 'generic', '--json'], { cwd: byAncestor });
  assert.equal(generic.json().file, join(byAncestor, 'AGENTS.md'));
  assert.equal(generic.json().reason, '--agent generic');
});

test('guard, as a PreToolUse hook: exit 2 with the berth command for bad habits, 0 otherwise', async (t) => {
  const { env } = tempHome(t);
  const hook = (command: string, tool = 'Bash'): string => JSON.stringify({ session_id: 'x', hook_event_name: 'PreToolUse', tool_name: tool, tool_input: { command } });
  const blocked = await guard(hook('nohup npm run dev > dev.log 2>&1 &'), env);
  assert.equal(blocked.code, 2);
  assert.match(blocked.stderr, /berth run NAME --port auto -- CMD/);
  const kill = await guard(hook('kill -9 $(lsof -t -i:3000)'), env);
  assert.equal(kill.code, 2);
  assert.match(kill.stderr, /berth free 3000/);
  assert.equal((await guard(hook('npm test'), env)).code, 0);
  assert.equal((await guard(JSON.stringify({ tool_name: 'Read', tool_input: { file_path: '/x' } }), env)).code, 0);
  const garbage = await guard('not json', env);
  assert.notEqual(garbage.code, 2, 'an unreadable payload does not block');
  assert.notEqual(garbage.code, 0);
  assert.match(garbage.stderr, /not a hook payload/);
  const direct = await berth(['guard', '--json', '--command', 'killall node'], { env });
  assert.equal(direct.code, 2);
  assert.equal(direct.json().allow, false);
});
