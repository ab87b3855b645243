// `berth export launchd`'s pre-start, run for real: the plist's ProgramArguments (/bin/sh with a
// constant script; the berth CLI's absolute paths, the port and the service's argv as parameters)
// frees the port through the real CLI, then execs the service with its arguments untouched by the
// shell, and does not start the service when `berth free` fails, as systemd's ExecStartPre= does
// (issue 16; decision 0029). launchd is absent here: /bin/sh runs the same argv launchd would.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freeThenExec, launchdPlist } from '../../src/export/launchd.ts';
import { CLI, runToEnd } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { isRunning, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const LISTEN = new URL('../fixtures/listen.mjs', import.meta.url).pathname;
/** Arguments a shell would have run or split, had they been pasted into its script. */
const HOSTILE = ['a b', '$(touch PWNED)', '`touch PWNED2`', '"; touch PWNED3 #', "it's", '${HOME}', '*'];

function runArgv(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToEnd(argv[0]!, argv.slice(1), { env, cwd });
}

test('the pre-start frees a squatted port through the real CLI, then execs the service with its arguments verbatim', { timeout: 90_000 }, async (t) => {
  const { env } = tempHome(t);
  const cwd = tempDir(t);
  const port = await freePort();
  const squatter = start(t, process.execPath, [LISTEN, '--port', String(port)], { detached: true });
  await squatter.line(/^listening/);
  const service = [process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...HOSTILE];
  const argv = freeThenExec([process.execPath, CLI], port, service);
  assert.equal(argv[0], '/bin/sh');
  assert.ok(HOSTILE.every((h) => !argv[2]!.includes(h)), 'no value is part of the script');
  const r = await runArgv(argv, env, cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), HOSTILE, 'the service got its arguments untouched');
  await waitFor(() => !isRunning(squatter.pid) || undefined, { what: 'the squatter stopped by berth free' });
  assert.deepEqual(readdirSync(cwd).filter((f) => f.startsWith('PWNED')), [], 'nothing the shell ran');
});

test('when berth free fails, the service is not started and the job exits with its code (KeepAlive retries)', async (t) => {
  const dir = tempDir(t);
  const failing = join(dir, 'berth-that-refuses.mjs');
  writeFileSync(failing, 'process.exit(3)\n');
  const marker = join(dir, 'started');
  const argv = freeThenExec([process.execPath, failing], 8, [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`]);
  const r = await runArgv(argv, process.env, dir);
  assert.equal(r.code, 3);
  assert.equal(existsSync(marker), false, 'the service did not run');
});

test('the plist carries the pre-start for on_conflict: evict only, with absolute paths', () => {
  const spec = { name: 'shop/web', argv: ['/usr/local/bin/web', '--port', '$PORT'], cwd: '/srv/web', env: {}, restart: 'always', onConflict: 'evict' } as never;
  const berthArgv = ['/opt/homebrew/bin/node', '/opt/homebrew/lib/node_modules/berth/dist/bundle/main.js'];
  const { content } = launchdPlist(spec, 8765, { berth: berthArgv, home: '/Users/a/Library/Application Support/berth', logPath: '/x.log' });
  const strings = [...content.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1]);
  const at = strings.indexOf('/bin/sh');
  assert.deepEqual(strings.slice(at + 3, at + 9), ['berth-free-then-exec', ...berthArgv, '8765', '/usr/local/bin/web', '--port']);
  assert.equal(strings[at + 9], '8765', '$PORT is put in the argument (launchd does not expand it)');
  const plain = launchdPlist({ ...(spec as object), onConflict: 'fail' } as never, 8765, { berth: berthArgv, home: '/h', logPath: '/x.log' }).content;
  assert.doesNotMatch(plain, /berth-free-then-exec/);
});
