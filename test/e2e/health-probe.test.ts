// The HTTP health probe must not fill the service's own log (issue 11: 13 of 20 lines of a
// crash report were `GET /`): once healthy, berth watches which process holds the port and
// probes HTTP only rarely. The property is that nothing happens for a while, so this test
// watches a window of a few health intervals (2 s each) rather than waiting for a condition.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { waitFor } from '../helpers/wait.ts';

const node = process.execPath;
// a server that logs every request it answers, as dev servers do
const SERVER = "require('http').createServer((q, r) => { console.log(q.method + ' ' + q.url); r.end('ok'); }).listen(Number(process.env.PORT), '127.0.0.1')";
const WINDOW_MS = 7_000;

test('once healthy, the HTTP probe is rare: the service log is not filled with GET /; ps shows the URL with $PORT expanded', async (t) => {
  const { env } = daemonHome(t);
  const run = ok(await berth(['run', 'web', '--port', 'auto', '--health', 'http://127.0.0.1:$PORT/', '--json', '--', node, '-e', SERVER], { env })).json();
  assert.equal(run.service.state, 'healthy');
  assert.equal(run.service.health, `http://127.0.0.1:${run.service.port}/`);
  const gets = (): number => readFileSync(run.service.logPath, 'utf8').split('\n').filter((l) => l === 'GET /').length;
  const until = Date.now() + WINDOW_MS;
  await waitFor(() => Date.now() >= until, { timeoutMs: WINDOW_MS + 5_000, intervalMs: 250, what: 'the observation window' });
  const svc = ok(await berth(['ps', '--json'], { env })).json().services[0];
  assert.equal(svc.state, 'healthy', 'still healthy: ownership of the port is watched between probes');
  // every 2 s this was 4 or more; now the readiness probe only
  assert.ok(gets() <= 2, `${gets()} GET / lines in ${WINDOW_MS} ms:\n${readFileSync(run.service.logPath, 'utf8')}`);
});
