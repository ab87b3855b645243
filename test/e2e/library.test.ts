// berth as a library, used from a separate package that depends on it.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { isRunning, start } from '../helpers/procs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function consumer(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'berth'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', dependencies: { berth: '*' } }));
  writeFileSync(
    join(dir, 'bot.mjs'),
    `import { singleton, AlreadyRunningError, leasePort, whoListens } from 'berth';
import { createServer } from 'node:http';
try {
  await singleton('bot');
} catch (err) {
  if (!(err instanceof AlreadyRunningError)) throw err;
  console.log('already running ' + err.pid);
  process.exit(0);
}
const port = leasePort('bot-http');
const server = createServer((q, s) => s.end('ok')).listen(port, '127.0.0.1', () => {
  const who = whoListens(port);
  console.log('won ' + port + ' ' + who.listeners[0].processes[0].pid);
});
process.on('SIGTERM', () => process.exit(0));
`,
  );
  return dir;
}

test('singleton: one process wins, the other gets its pid; after SIGKILL of the winner another can take it', async (t) => {
  const { env } = tempHome(t);
  const dir = consumer(t);
  const args = ['--disable-warning=ExperimentalWarning', join(dir, 'bot.mjs')];
  const a = start(t, process.execPath, args, { env, cwd: dir });
  const won = await a.line(/won (\d+) (\d+)/);
  assert.equal(Number(won[2]), a.pid, 'whoListens names this process');
  assert.equal((await berth(['port', 'bot-http'], { env, cwd: dir })).stdout.trim(), won[1], 'the same lease as berth port in the same directory');

  const b = start(t, process.execPath, args, { env, cwd: dir });
  assert.equal((await b.exited).code, 0);
  assert.equal(b.output().trim(), `already running ${a.pid}`);
  const cli = await berth(['lock', 'bot', '--', 'true'], { env });
  assert.match(cli.stdout, new RegExp(`^already running \\(pid ${a.pid}\\)`), 'the same lock as berth lock');

  a.child.kill('SIGKILL');
  await a.exited;
  assert.ok(!isRunning(a.pid));
  const c = start(t, process.execPath, args, { env, cwd: dir });
  await c.line(/won (\d+)/);
});
