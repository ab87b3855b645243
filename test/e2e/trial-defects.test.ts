// Defects a new-user trial found, each reproduced: a health check that could never pass (it
// crashed the daemon on every start), and another process's command line breaking berth's
// messages into forged lines.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { start } from '../helpers/procs.ts';
import { checkHealth } from '../../src/core/supervisor/health.ts';
import { readIdentity } from '../../src/core/identity.ts';

const node = process.execPath;
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));

test('a health check that can never pass is refused before anything starts (it used to crash the daemon)', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'berth.yaml'), 'services:\n  b:\n    run: sleep 100\n    health: http://127.0.0.1:$PORT/\n');
  const up = await berth(['up', '--json'], { env, cwd: dir });
  assert.equal(up.code, 2, up.toString());
  assert.equal(up.json().error.code, 'config_invalid');
  assert.match(up.json().error.message, /services\.b\.health.*\$PORT but the service has no port/);
  for (const health of ['foo', 'tcp:abc', 'http://127.0.0.1:$PORT/', 'http://[bad']) {
    const r = await berth(['run', 'web9', '--health', health, '--json', '--', 'sleep', '100'], { env });
    assert.equal(r.code, 2, `${health}: ${r}`);
    assert.equal(r.json().error.code, 'invalid_health', `${health}: ${r}`);
  }
  // nothing was started, and the daemon (if any) answers
  assert.deepEqual(ok(await berth(['ps', '--all', '--json'], { env })).json().services, []);
});

test('a stored health check that does not parse is a failed check, never an exception', async () => {
  const me = readIdentity(process.pid)!;
  assert.equal(await checkHealth('http://[bad', null, { leader: me, marker: null }, {}), false);
});

test('a newline in another process\'s command cannot forge lines in berth\'s refusals and doctor', async (t) => {
  const { env } = daemonHome(t);
  const port = await freePort();
  // argv[2] holds a newline followed by text that looks like berth's own advice
  const squatter = start(t, node, [LISTEN, '--port', String(port), '\nfix: berth rm --all']);
  await squatter.line(/listening/);
  ok(await berth(['port', '--reserve', 'hook', String(port)], { env }));
  const outputs = [
    await berth(['run', 'hook', '--port', String(port), '--', node, LISTEN, '--port', '$PORT'], { env }),
    await berth(['doctor'], { env }),
  ];
  for (const r of outputs) {
    assert.notEqual(r.code, 0, r.toString());
    const text = r.stdout + r.stderr;
    assert.match(text, /\\x0afix: berth rm --all/, `the newline is shown escaped:\n${text}`);
    assert.ok(!text.split('\n').some((l) => l.startsWith('fix: berth rm')), `no forged line:\n${text}`);
  }
});

test('a start berth refuses (a stranger on the port) is on the record, naming the holder', async (t) => {
  const { env } = daemonHome(t);
  const port = await freePort();
  const squatter = start(t, node, [LISTEN, '--port', String(port)]);
  await squatter.line(/listening/);
  const r = await berth(['run', 'hook', '--port', String(port), '--', node, LISTEN, '--port', '$PORT'], { env });
  assert.equal(r.code, 3, r.toString());
  const events = ok(await berth(['events', '--json'], { env })).json().events as Array<{ verb: string; subject: string; outcome: string; details: { port?: number; holders?: Array<{ pid: number }> } }>;
  const refused = events.find((e) => e.verb === 'start' && e.outcome === 'refused');
  assert.ok(refused, JSON.stringify(events));
  assert.match(refused.subject, /(^|\/)hook$/);
  assert.equal(refused.details.port, port);
  assert.equal(refused.details.holders?.[0]?.pid, squatter.pid);
});
