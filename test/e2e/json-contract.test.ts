// Every verb's --json output checked, strictly, against the contract (src/app/contract.ts,
// described in docs/json.md): a renamed, missing or undocumented field fails here.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CONTRACT, type ContractName } from '../../src/app/contract.ts';
import { berth, CLI } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const HOLD_SQLITE = fileURLToPath(new URL('../fixtures/hold-sqlite.mjs', import.meta.url));
const node = process.execPath;

test('every verb\'s --json document matches the contract', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const seen = new Set<ContractName>();
  const check = async (name: ContractName, args: string[], expectCode = 0): Promise<any> => {
    const r = await berth(args, { env, cwd: dir });
    assert.equal(r.code, expectCode, r.toString());
    const doc = r.json();
    const parsed = CONTRACT[name].safeParse(doc);
    assert.ok(parsed.success, `${name} (${args.join(' ')}) does not match the contract:\n${parsed.success ? '' : JSON.stringify(parsed.error.issues, null, 2)}\n${JSON.stringify(doc, null, 2).slice(0, 3000)}`);
    seen.add(name);
    return doc;
  };

  const listener = start(t, node, [LISTEN, '--host', '::']);
  const port = Number((await listener.line(/listening (\d+)/))[1]);
  const db = join(dir, 'app.db');
  const writer = start(t, node, ['--disable-warning=ExperimentalWarning', HOLD_SQLITE, db]);
  await writer.line(/locked/);
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  api:\n    run: [${node}, ${SERVICE}, --http]\n    port: auto\n    locks: [other.db]\n`);

  await check('error', ['who', '70000', '--json'], 2);
  await check('who-port', ['who', String(port), '--json']);
  await check('who-path', ['who', db, '--json']);
  await check('port', ['port', 'web', '--ttl', '1h', '--json']);
  await check('port', ['port', '--reserve', 'hook', String(port), '--json']);
  await check('ports', ['ports', '--json']);
  await check('port-release', ['port', '--release', 'web', '--json']);
  await check('lock', ['lock', 'job', '--json', '--', 'true']);
  const holder = start(t, node, [CLI, 'lock', 'job', '--', 'sleep', '30'], { env });
  // once the holder runs its command, a second contender gets "already running" with the holder
  await waitFor(async () => (await berth(['locks', '--json'], { env })).json().named.some((l: { name: string }) => l.name === 'job'), { what: 'the lock to be held' });
  await check('lock', ['lock', 'job', '--json', '--', 'true']);
  await check('lock', ['lock', 'gpu', '--slots', '2', '--json', '--', 'true']);
  await check('rate-take', ['rate', 'api', '--limit', '100/s', '--take', '--json']);
  await check('rate-run', ['rate', 'api', '--limit', '100/s', '--json', '--', 'true']);
  await check('locks', ['locks', '--json']);
  await check('orphans', ['orphans', '--json']);
  await check('gc', ['gc', '--orphans', '--dry-run', '--json']);
  await holder.stop();
  await check('daemon-status', ['daemon', 'status', '--json']);
  await check('daemon-start', ['daemon', 'start', '--json']);
  await check('daemon-status', ['daemon', 'status', '--json']);
  await check('run', ['run', 'svc', '--port', 'auto', '--json', '--', node, SERVICE, '--http']);
  await check('run', ['run', 'svc', '--port', 'auto', '--json', '--', node, SERVICE, '--http']);
  await check('restart', ['restart', 'svc', '--json']);
  await check('ps', ['ps', '--all', '--json']);
  await check('logs', ['logs', 'svc', '-n', '5', '--json']);
  await check('stop', ['stop', 'svc', '--json']);
  await check('stop-session', ['stop', '--mine', '--json']);
  await check('rm', ['rm', 'svc', '--json']);
  const stray = start(t, node, [LISTEN]);
  const strayPort = Number((await stray.line(/listening (\d+)/))[1]);
  await check('adopt', ['adopt', 'stray', '--port', String(strayPort), '--json']);
  await check('rm', ['rm', 'stray', '--json']);
  await check('up', ['up', '--json']);
  await check('doctor', ['doctor', '--json'], 3); // "hook" is reserved on a port a stranger holds
  await check('down', ['down', '--json']);
  await check('free', ['free', String(port), '--json']);
  await check('gc', ['gc', '--dry-run', '--json']);
  await check('events', ['events', '--json']);
  await check('init', ['init', '--json']);
  await check('export', ['export', 'systemd', '--json']);
  await check('guard', ['guard', '--json', '--command', 'npm test']);
  await check('guard', ['guard', '--json', '--command', 'pkill node'], 2);
  await check('schema', ['schema', '--json']);
  await check('daemon-stop', ['daemon', 'stop', '--json']);
  // lock-holders and slots are the MCP lock and slots tools' documents (no CLI verb prints them): test/e2e/parity.test.ts checks them
  const untested = (Object.keys(CONTRACT) as ContractName[]).filter((n) => !seen.has(n) && n !== 'lock-holders' && n !== 'slots');
  assert.deepEqual(untested, [], 'every contract entry is exercised');
});
