// Windows is refused at the door with a typed error (exit 2), not a stack trace from deep inside:
// the check function on a faked platform, the real CLI with process.platform faked before it
// starts, and the library's calls (issue 16, item 4).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { assertSupportedPlatform, unsupportedPlatform, UnsupportedPlatformError } from '../../src/core/platform.ts';
import { EXIT } from '../../src/core/errors.ts';
import { CLI } from '../helpers/cli.ts';

/** A preload that makes the process believe it runs on Windows. */
const FAKE_WIN32 = `data:text/javascript,Object.defineProperty(process,'platform',{value:'win32'})`;

test('win32 is unsupported (exit 2, stable code); Linux, macOS and other Unixes are not refused', () => {
  const err = unsupportedPlatform('win32');
  assert.ok(err instanceof UnsupportedPlatformError);
  assert.equal(err.code, 'unsupported_platform');
  assert.equal(err.exitCode, EXIT.usage);
  assert.match(err.message, /does not support Windows yet/);
  assert.match(err.hint ?? '', /WSL/);
  assert.throws(() => assertSupportedPlatform('win32'), UnsupportedPlatformError);
  for (const p of ['linux', 'darwin', 'freebsd', 'openbsd', 'sunos', 'aix']) {
    assert.equal(unsupportedPlatform(p), null, p);
    assert.doesNotThrow(() => assertSupportedPlatform(p));
  }
});

test('the CLI on win32 says "not supported yet", exits 2, no stack; --json gives the error document', () => {
  const env = { ...process.env, BERTH_HOME: '/nonexistent/berth-platform-test' };
  const text = spawnSync(process.execPath, ['--import', FAKE_WIN32, CLI, 'run', '--', 'node', '-e', '0'], { encoding: 'utf8', env });
  assert.equal(text.status, 2, text.stderr);
  assert.match(text.stderr, /^berth: berth does not support Windows yet/);
  assert.match(text.stderr, /hint: run berth inside WSL 2/);
  assert.doesNotMatch(text.stderr, /\n\s+at /, 'no stack trace');
  const json = spawnSync(process.execPath, ['--import', FAKE_WIN32, CLI, 'who', '1', '--json'], { encoding: 'utf8', env });
  assert.equal(json.status, 2, json.stderr);
  assert.equal(JSON.parse(json.stdout).error.code, 'unsupported_platform');
});

test('the library on win32 throws UnsupportedPlatformError from its calls', async () => {
  const lib = await import('../../src/index.ts');
  const real = Object.getOwnPropertyDescriptor(process, 'platform')!;
  Object.defineProperty(process, 'platform', { value: 'win32' });
  try {
    assert.throws(() => lib.leasePort('web', { home: '/nonexistent/berth-platform-test' }), lib.UnsupportedPlatformError);
    assert.throws(() => lib.whoListens(1, { home: '/nonexistent/berth-platform-test' }), lib.UnsupportedPlatformError);
    await assert.rejects(lib.singleton('x', { home: '/nonexistent/berth-platform-test' }), lib.UnsupportedPlatformError);
    await assert.rejects(lib.beat({ home: '/nonexistent/berth-platform-test' }), lib.UnsupportedPlatformError);
  } finally {
    Object.defineProperty(process, 'platform', real);
  }
});
