// The CLI's fast path (src/cli/fast.ts) takes only the plain shapes of who, port and ps, and
// hands the verb exactly what commander would; everything else goes to the full program.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fastCall } from '../../src/cli/fast.ts';

test('the plain shapes of who, port NAME and ps are taken, with the arguments commander passes', () => {
  const cases: Array<[string[], string, boolean, unknown[]]> = [
    [['who', '8765'], 'who', false, ['8765', {}]],
    [['who', ':8765', '--json'], 'who', true, [':8765', { json: true }]],
    [['who', '--json', '/tmp/app.db'], 'who', true, ['/tmp/app.db', { json: true }]],
    [['port', 'web'], 'port', false, ['web', undefined, {}]],
    [['port', 'web', '--ttl', '30m', '--json'], 'port', true, ['web', undefined, { ttl: '30m', json: true }]],
    [['port', '--ttl=2h', 'web', '--project', 'shop'], 'port', false, ['web', undefined, { ttl: '2h', project: 'shop' }]],
    [['ps'], 'ps', false, [undefined, {}]],
    [['ps', '-a', '--json'], 'ps', true, [undefined, { all: true, json: true }]],
    [['ps', 'web', '--mine', '--all', '--project=shop'], 'ps', false, ['web', { mine: true, all: true, project: 'shop' }]],
    [['run', 'web', '--', 'npm', 'run', 'dev'], 'run', false, ['web', ['npm', 'run', 'dev'], { wait: true }]],
    [
      ['run', '--port', 'auto', 'web', '--no-wait', '--env', 'A=1', '--env=B=2', '--lock', 'db.sqlite', '--keep', '--json', '--', 'node', 'app.js', '--json', '-v'],
      'run',
      true,
      ['web', ['node', 'app.js', '--json', '-v'], { port: 'auto', wait: false, env: ['A=1', 'B=2'], lock: ['db.sqlite'], keep: true, json: true }],
    ],
    [
      ['run', 'api', '--health', 'http://127.0.0.1:$PORT/', '--restart', 'always', '--max-restarts', '3', '--on-conflict', 'evict', '--timeout', '30s', '--project', 'shop', '--purpose', 'the API', '--cwd', '/srv', '--watchdog', '5s', '--until-session-ends', '--ephemeral', '--port-from-listener', '--force', '--', 'x'],
      'run',
      false,
      ['api', ['x'], { wait: true, health: 'http://127.0.0.1:$PORT/', restart: 'always', maxRestarts: '3', onConflict: 'evict', timeout: '30s', project: 'shop', purpose: 'the API', cwd: '/srv', watchdog: '5s', untilSessionEnds: true, ephemeral: true, portFromListener: true, force: true }],
    ],
  ];
  for (const [argv, verb, json, args] of cases) {
    const call = fastCall(argv, {});
    assert.ok(call, `${argv.join(' ')} should take the fast path`);
    assert.equal(call.verb, verb);
    assert.equal(call.json, json);
    assert.deepEqual(call.args, args, argv.join(' '));
  }
});

test('anything else goes to the full program, which parses and reports it', () => {
  const full = [
    [],
    ['--version'],
    ['who'],
    ['who', '1', '2'],
    ['who', '--help'],
    ['who', '-h', '8765'],
    ['who', '--', '8765'],
    ['who', '8765', '--json', '--json'],
    ['who', '8765', '--json=1'],
    ['who', '-1'],
    ['port'],
    ['port', 'web', '--reserve', '8765'],
    ['port', '--release', 'web'],
    ['port', 'web', '8765'],
    ['port', 'web', '--ttl'],
    ['port', 'web', '--ttl', '--json'],
    ['port', 'web', '--ttl='],
    ['port', 'web', '--ttl', '1h', '--ttl', '2h'],
    ['port', 'web', '--bogus'],
    ['ps', 'a', 'b'],
    ['ps', '--all=yes'],
    ['ps', '-aj'],
    ['ps', '--project'],
    ['run', 'web', 'sleep', '1'],
    ['run', 'web', '--'],
    ['run', '--', 'sleep', '1'],
    ['run', 'web', 'extra', '--', 'sleep', '1'],
    ['run', 'web', '--no-wait', '--no-wait', '--', 'sleep', '1'],
    ['run', 'web', '--port', '--', 'sleep', '1'],
    ['run', 'web', '--port', '1', '--port', '2', '--', 'sleep', '1'],
    ['run', 'web', '--wait', '--', 'sleep', '1'],
    ['run', 'web', '--env', '--', 'sleep', '1'],
    ['run', 'web', '-h', '--', 'sleep', '1'],
    ['who', '8765', '--', 'x'],
    ['stop', 'web'],
    ['constructor'],
    ['__proto__', 'x'],
  ];
  for (const argv of full) assert.equal(fastCall(argv, {}), undefined, `${argv.join(' ')} must go to the full program`);
});

test('only who PORT reads the TCP tables ahead', () => {
  assert.equal(fastCall(['who', '8765'], {})?.sockets, true);
  assert.equal(fastCall(['who', ':8765', '--json'], {})?.sockets, true);
  assert.equal(fastCall(['who', '/tmp/app.db'], {})?.sockets, false);
  assert.equal(fastCall(['port', 'web'], {})?.sockets, false);
  assert.equal(fastCall(['ps'], {})?.sockets, false);
});

test('BERTH_FAST_PATH=0 sends every call to the full program', () => {
  assert.equal(fastCall(['who', '8765'], { BERTH_FAST_PATH: '0' }), undefined);
  assert.ok(fastCall(['who', '8765'], { BERTH_FAST_PATH: '1' }));
});
