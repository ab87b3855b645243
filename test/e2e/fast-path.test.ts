// The fast path (src/cli/fast.ts) answers exactly what the full program answers: the same
// stdout, stderr and exit code for who, port, ps and run, in text and JSON, on success and on error,
// with BERTH_FAST_PATH=0 (commander) as the reference. BERTH_PROFILE=1 shows which path ran, so
// the comparison cannot pass by both runs taking the same path.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));

/** The profile line out of stderr, and which path the call took. */
function split(stderr: string): { rest: string; path: string } {
  const line = stderr.split('\n').find((l) => l.startsWith('berth-profile '));
  assert.ok(line, `no berth-profile line in:\n${stderr}`);
  const phases = (JSON.parse(line.slice('berth-profile '.length)) as { spans: Array<{ phase: string }> }).spans.map((s) => s.phase);
  const path = phases.includes('load fast path') ? 'fast' : phases.includes('load program') ? 'program' : '?';
  // the profile line, and the timing marks profiling also writes (berth-mark, bench/recovery.mjs)
  return { rest: stderr.split('\n').filter((l) => !l.startsWith('berth-profile ') && !l.startsWith('berth-mark ')).join('\n'), path };
}

// ages ("3s ago", uptime) may tick between the two runs, and other processes on this machine may
// come and go in between (how many could not be inspected)
const steady = (text: string): string =>
  text
    .replace(/\b\d+(ms|s|m|h|d)\b/g, '<age>')
    .replace(/"(uptimeMs|startedAt|expiresAt|renewedAt|lastSeenAt|unreadable)": [^,\n]+/g, '"$1": <varies>')
    .replace(/\n\(\d+ processes could not be inspected\)/g, '');

test('who, port, ps and run answer the same through the fast path as through the full program', async (t) => {
  const { env } = daemonHome(t);
  const cwd = tempDir(t);
  const server = start(t, process.execPath, [LISTEN, '--host', '127.0.0.1'], { env });
  const port = (await server.line(/listening (\d+)/))[1]!;
  const file = join(cwd, 'notes.txt');
  writeFileSync(file, 'x');
  const run = await berth(['run', 'sl', '--no-wait', '--', 'sleep', '3600'], { env, cwd });
  assert.equal(run.code, 0, run.toString());
  const lease = await berth(['port', 'web', '--json'], { env, cwd });
  assert.equal(lease.code, 0, lease.toString());

  const calls = [
    ['who', port],
    ['who', port, '--json'],
    ['who', `:${port}`],
    ['who', file, '--json'],
    ['who', '0'],
    ['who', '70000', '--json'],
    ['port', 'web'],
    ['port', 'web', '--json'],
    ['port', 'web', '--ttl', '30m', '--json'],
    ['port', 'web', '--ttl=nonsense'],
    ['port', 'Bad Name!', '--json'],
    ['ps'],
    ['ps', '--json'],
    ['ps', '-a', '--json'],
    ['ps', 'sl', '--mine', '--json'],
    ['ps', 'nosuch'],
    ['ps', 'nosuch', '--json'],
    ['ps', '--project', 'elsewhere', '--json'],
    // run of a service that runs (the agent's call after its context was reset), and refusals
    ['run', 'sl', '--no-wait', '--', 'sleep', '3600'],
    ['run', 'sl', '--no-wait', '--json', '--', 'sleep', '3600'],
    ['run', 'sl', '--no-wait', '--keep', '--', 'sleep', '3600'],
    ['run', 'bad name', '--', 'true'],
    ['run', 'x', '--env', 'A=1', '--lock', 'a.db', '--max-restarts', 'lots', '--json', '--', 'true'],
    ['run', 'x', '--restart', 'sometimes', '--', 'true'],
    ['run', 'x', '--port', '99999', '--json', '--', 'true'],
  ];
  let fast = 0;
  for (const args of calls) {
    const viaFast = await berth(args, { env: { ...env, BERTH_PROFILE: '1' }, cwd });
    const viaProgram = await berth(args, { env: { ...env, BERTH_PROFILE: '1', BERTH_FAST_PATH: '0' }, cwd });
    const a = split(viaFast.stderr);
    const b = split(viaProgram.stderr);
    assert.equal(b.path, 'program', `BERTH_FAST_PATH=0 must use the full program: ${args.join(' ')}`);
    if (a.path === 'fast') fast++;
    assert.equal(viaFast.code, viaProgram.code, `exit of berth ${args.join(' ')}\n${viaFast}\n${viaProgram}`);
    assert.equal(steady(viaFast.stdout), steady(viaProgram.stdout), `stdout of berth ${args.join(' ')}`);
    assert.equal(steady(a.rest), steady(b.rest), `stderr of berth ${args.join(' ')}`);
  }
  assert.equal(fast, calls.length, 'every call above is a plain shape the fast path takes');
});
