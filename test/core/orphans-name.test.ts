// The name `berth orphans` suggests for `berth adopt` (new-user trial #17): from the command,
// not the directory (that made `berth adopt proj` create proj/proj), else the port, else the pid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggestName } from '../../src/core/orphans-name.ts';
import { parseName } from '../../src/core/validate.ts';

const name = (argv: string[], port?: number): string => suggestName({ argv, port, pid: 77 });

test('the suggested adopt name says which server it is, within berth\'s name rules', () => {
  assert.equal(name(['python3', '-m', 'http.server', '8000']), 'http-server');
  assert.equal(name(['/usr/bin/python3.12', '-u', '-m', 'uvicorn', 'app:main']), 'uvicorn');
  assert.equal(name(['node', '/srv/app/node_modules/.bin/next', 'dev']), 'next');
  assert.equal(name(['npx', 'vite', '--port', '5173']), 'vite');
  assert.equal(name(['node', '--enable-source-maps', 'server.mjs']), 'server');
  assert.equal(name(['/opt/bin/redis-server', '*:6379']), 'redis-server');
  assert.equal(name(['pnpm', 'run', 'storybook']), 'storybook');
  assert.equal(name(['sh', '-c', 'python3 -m http.server'], 8000), 'port-8000');
  assert.equal(name(['node', '-e', 'x'], undefined), 'orphan-77');
  assert.equal(name(['./my server!.py']), 'my-server');
  for (const argv of [['python3', '-m', 'http.server'], ['./my server!.py'], ['x'.repeat(200)]]) assert.equal(parseName(name(argv)), name(argv));
});
