import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandToArgv } from '../../src/core/config/command.ts';
import { ConfigError, findConfig, loadProcfile, loadYaml, startOrder } from '../../src/core/config/load.ts';
import { tempDir } from '../helpers/home.ts';

const GOOD = `services:
  web:
    run: npm run dev -- --port $PORT
    port: auto
    health: http://127.0.0.1:$PORT/
    depends_on: [webhook]
  webhook:
    run: python webhook_server.py
    port: 8765
    on_conflict: evict
    restart: always
  worker:
    run: [node, worker.js]
    locks: [data/app.duckdb]
    env: { MODE: batch, N: 3 }
    depends_on: [webhook]
`;

test('a good berth.yaml becomes service specs, in dependency order', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'berth.yaml'), GOOD);
  const project = loadYaml(join(dir, 'berth.yaml'));
  const web = project.services.get('web')!.spec;
  assert.deepEqual(web.argv, ['npm', 'run', 'dev', '--', '--port', '$PORT']);
  assert.deepEqual(web.port, { kind: 'auto' });
  assert.equal(web.cwd, dir);
  const hook = project.services.get('webhook')!.spec;
  assert.deepEqual([hook.port, hook.onConflict, hook.restart], [{ kind: 'fixed', port: 8765 }, 'evict', 'always']);
  const worker = project.services.get('worker')!.spec;
  assert.deepEqual([worker.locks, worker.env], [[join(dir, 'data/app.duckdb')], { MODE: 'batch', N: '3' }]);
  assert.deepEqual(startOrder(project, []), ['webhook', 'web', 'worker']);
  assert.deepEqual(startOrder(project, ['web']), ['webhook', 'web']);
  assert.equal(findConfig(join(dir)), join(dir, 'berth.yaml'));
});

test('command lines: split like a shell, or run by sh -c when they need one', () => {
  assert.deepEqual(commandToArgv(`python3 -m http.server "$PORT" --dir 'a b'`), ['python3', '-m', 'http.server', '$PORT', '--dir', 'a b']);
  assert.deepEqual(commandToArgv('npm run build && npm start'), ['sh', '-c', 'npm run build && npm start']);
  assert.deepEqual(commandToArgv('echo $HOME'), ['sh', '-c', 'echo $HOME']);
  assert.deepEqual(commandToArgv('echo a\\ b'), ['echo', 'a b']);
});

test('a Procfile is read the way foreman reads it', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'Procfile'), '# comment\nweb: bundle exec rails s -p $PORT\nworker:   node worker.js\n');
  const project = loadProcfile(join(dir, 'Procfile'));
  assert.deepEqual([...project.services.keys()], ['web', 'worker']);
  assert.deepEqual(project.services.get('web')!.spec.argv, ['sh', '-c', 'bundle exec rails s -p $PORT']);
  assert.deepEqual(project.services.get('web')!.spec.port, { kind: 'auto' });
});

// [file content, expected line, expected field (or null), message pattern]
const BAD: Array<[string, number, string | null, RegExp]> = [
  ['services:\n  web:\n    run: [node, x.js\n', 4, null, /not valid YAML/], // reported where the parser gave up: the end
  ['services:\n  web:\n    run: node x.js\nextra: 1\n', 4, 'extra', /Unrecognized key/i],
  ['services:\n  web:\n    run: node x.js\n    prot: 80\n', 4, 'services.web.prot', /Unrecognized key/i],
  ['services:\n  web:\n    run: node x.js\n    port: 70000\n', 4, 'services.web.port', /port must be a number from 1 to 65535/],
  ['services:\n  web:\n    run: node x.js\n    port: abc\n', 4, 'services.web.port', /port must be/],
  ['services:\n  a:\n    run: node a.js\n    port: 8080\n  b:\n    run: node b.js\n    port: 8080\n', 7, 'services.b.port', /port 8080 is already declared by "a"/],
  ['services:\n  web:\n    run: node x.js\n    depends_on: [db]\n', 4, 'services.web.depends_on[0]', /no service named "db"/],
  ['services:\n  a:\n    run: node a.js\n    depends_on: [b]\n  b:\n    run: node b.js\n    depends_on: [a]\n', 4, 'services.a.depends_on', /cycle: a -> b -> a/],
  ['services:\n  web:\n    run: ""\n', 3, 'services.web.run', /empty/],
  ['services:\n  web:\n    run: 42\n', 3, 'services.web.run', /./],
  ['services:\n  web:\n    run: node x.js\n    restart: sometimes\n', 4, 'services.web.restart', /./],
  ['services:\n  web:\n    run: node x.js\n    on_conflict: fight\n', 4, 'services.web.on_conflict', /./],
  ['services:\n  web:\n    run: node x.js\n    health: ftp://x\n', 4, 'services.web.health', /health is http/],
  ['services:\n  web:\n    run: node x.js\n    env:\n      1BAD: x\n', 5, 'services.web.env.1BAD', /environment variable name/],
  ['services: {}\n', 1, 'services', /at least one service/],
  ['services:\n  bad name:\n    run: node x.js\n', 2, 'services.bad name', /a name is 1 to 64/],
  ['services:\n  web:\n    run: node a.js\n  web:\n    run: node b.js\n', 4, null, /not valid YAML.*[Uu]nique|duplicate/i],
  ['services:\n  web:\n    run: echo "unterminated\n', 3, 'services.web.run', /unterminated/],
  ['services:\n  web:\n    run: node x.js\n    locks: data.db\n', 4, 'services.web.locks', /./],
  ['services:\n  web:\n    run: node x.js\n    env_file: missing.env\n', 4, 'services.web.env_file', /no such file/],
  ['services:\n  web:\n    run: node x.js\n    depends_on: [web]\n', 4, 'services.web.depends_on[0]', /itself/],
];

test(`${BAD.length} malformed berth.yaml files: each error names file, line, column and field`, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'berth.yaml');
  for (const [text, line, field, pattern] of BAD) {
    writeFileSync(file, text);
    assert.throws(
      () => loadYaml(file),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `${text}\n→ ${err}`);
        assert.equal(err.exitCode, 2);
        assert.equal(err.location.file, file);
        assert.equal(err.location.line, line, `${text}\n→ ${err.message}`);
        assert.ok(typeof err.location.column === 'number' && err.location.column > 0, err.message);
        if (field !== null) assert.equal(err.location.field, field, `${text}\n→ ${err.message}`);
        assert.match(err.message, pattern);
        assert.ok(err.message.startsWith(`${file}:${line}:`), err.message);
        return true;
      },
      text,
    );
  }
});

test('slots: {gpu: 1} reaches the spec, is config drift when edited, and passes the socket validator; bad counts are config errors', async (t) => {
  const { specChanges } = await import('../../src/core/supervisor/spec.ts');
  const { parseRunRequest, BadRequestError } = await import('../../src/daemon/requests.ts');
  const dir = tempDir(t);
  const file = join(dir, 'berth.yaml');
  writeFileSync(file, 'services:\n  train:\n    run: [python, train.py]\n    slots: {gpu: 2, api: 1}\n  plain:\n    run: [sleep, "1"]\n');
  const project = loadYaml(file);
  const train = project.services.get('train')!.spec;
  assert.deepEqual(train.slots, { gpu: 2, api: 1 });
  assert.equal(project.services.get('plain')!.spec.slots, undefined);
  assert.deepEqual(specChanges(train, { ...train, slots: { api: 1, gpu: 2 } }), [], 'the order of the groups is no change');
  assert.deepEqual(specChanges(train, { ...train, slots: { gpu: 1, api: 1 } }), ['slots']);
  assert.deepEqual(specChanges(project.services.get('plain')!.spec, { ...project.services.get('plain')!.spec, slots: { gpu: 1 } }), ['slots']);

  const owner = { session: 's', source: 'env', user: 'u' };
  const body = (slots: unknown): unknown => ({ actor: 'a', owner, env: {}, wait: false, timeoutMs: 1000, spec: { ...train, slots } });
  assert.deepEqual(parseRunRequest(body({ gpu: 2 })).spec.slots, { gpu: 2 });
  for (const bad of [{ gpu: 0 }, { gpu: 1.5 }, { gpu: 1025 }, { 'a#b': 1 }, { '..': 1 }, [1]]) assert.throws(() => parseRunRequest(body(bad)), BadRequestError, JSON.stringify(bad));

  for (const bad of ['{gpu: 0}', '{gpu: 2.5}', '{"g#1": 1}', '[gpu]']) {
    writeFileSync(file, `services:\n  train:\n    run: [python, train.py]\n    slots: ${bad}\n`);
    assert.throws(() => loadYaml(file), (err: unknown) => err instanceof ConfigError && err.location.field?.startsWith('services.train.slots') === true, bad);
  }
});
