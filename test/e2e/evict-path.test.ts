// Issue 11, items 4-6 and the conflict/doctor defects of item 8: one eviction for `free` and
// `on_conflict: evict` (same holders, same refusals, one `evict` event with the same fields);
// `free` and `gc` done by the daemon when it runs (the CLI acts itself only when none runs);
// the CLI and the daemon lease from the same range; `run` reports what it evicted; doctor's
// severities and exit code; hints that name the right door and never release a live service.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { isRunning, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;

interface Ev {
  verb: string;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
}

async function events(env: NodeJS.ProcessEnv): Promise<Ev[]> {
  return ok(await berth(['events', '--json'], { env })).json().events as Ev[];
}

function post(socket: string, path: string, body: unknown): Promise<{ status: number; doc: any }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request({ socketPath: socket, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, doc: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function squatter(t: Parameters<typeof start>[0], port: number, env: NodeJS.ProcessEnv, udp = false) {
  return start(t, node, [LISTEN, '--port', String(port), ...(udp ? ['--udp'] : [])], { env: { ...env, BERTH_SESSION: 'agent-b' } });
}

test('free and on_conflict: evict are one eviction: the same evict event, with the same fields; run reports what it evicted', async (t) => {
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' };
  ok(await berth(['daemon', 'start'], { env }));
  const p1 = await freePort();
  const a = squatter(t, p1, env);
  await a.line(/listening/);
  ok(await berth(['free', String(p1), '--json'], { env }));
  await waitFor(() => !isRunning(a.pid), { what: 'the holder gone' });

  // a UDP socket on a service's port is a holder too (before, on_conflict looked at TCP only)
  const p2 = await freePort();
  const b = squatter(t, p2, env, true);
  await b.line(/listening/);
  const run = ok(await berth(['run', 'web', '--port', String(p2), '--on-conflict', 'evict', '--json', '--', node, SERVICE, '--http'], { env })).json();
  assert.ok(!isRunning(b.pid), 'the UDP holder was evicted');
  assert.equal(run.evicted?.length, 1, `run reports its eviction: ${JSON.stringify(run)}`);
  assert.equal(run.evicted[0].pid, b.pid);
  assert.match(run.evicted[0].command, /listen\.mjs/);
  assert.equal(run.evicted[0].owner, 'agent-b');
  assert.equal(run.evicted[0].target, `:${p2}`);

  const evictions = (await events(env)).filter((e) => e.verb === 'evict');
  assert.equal(evictions.length, 2, `one evict event each, none named "free": ${JSON.stringify(evictions)}`);
  const [byFree, byRun] = [evictions.find((e) => e.details.cause === 'free')!, evictions.find((e) => e.details.cause === 'on_conflict')!];
  assert.ok(byFree && byRun, JSON.stringify(evictions));
  assert.deepEqual(Object.keys(byFree.details).sort(), Object.keys(byRun.details).sort(), 'the same fields');
  assert.equal(byFree.details.port, p1);
  assert.equal(byFree.details.pid, a.pid);
  assert.equal(byRun.details.service, 'p/web', 'the full name (project/service)');

  // the plain output says so too
  ok(await berth(['stop', 'web'], { env }));
  const c = squatter(t, p2, env);
  await c.line(/listening/);
  const plain = ok(await berth(['run', 'web', '--port', String(p2), '--on-conflict', 'evict', '--', node, SERVICE, '--http'], { env }));
  assert.match(plain.stdout, new RegExp(`evicted pid ${c.pid} \\(.*listen\\.mjs.*\\) holding :${p2}, owner agent-b`));
});

test('free and gc go through the daemon when it runs (validated routes), and act locally without starting one when none runs', async (t) => {
  const { env, home } = daemonHome(t);
  // no daemon: free acts here, with the same module, and starts none
  const p1 = await freePort();
  const a = squatter(t, p1, env);
  await a.line(/listening/);
  ok(await berth(['free', String(p1)], { env }));
  assert.ok(!isRunning(a.pid));
  ok(await berth(['gc'], { env }));
  assert.equal(ok(await berth(['daemon', 'status', '--json'], { env })).json().running, false, 'free and gc started no daemon');

  // a daemon: the routes exist, validate their bodies, and evict
  ok(await berth(['daemon', 'start'], { env }));
  const socket = join(home, 'berthd.sock');
  const who = { actor: 'test', owner: { session: 'test', source: 'env', user: 'u' } };
  const bad = await post(socket, '/v1/free', { ...who, target: { kind: 'port', port: 0 }, force: false, graceMs: 100 });
  assert.equal(bad.status, 400, JSON.stringify(bad.doc));
  assert.equal(bad.doc.error.code, 'bad_request');
  const badGc = await post(socket, '/v1/gc', { ...who });
  assert.equal(badGc.status, 400, JSON.stringify(badGc.doc));
  const p2 = await freePort();
  const b = squatter(t, p2, env);
  await b.line(/listening/);
  const freed = await post(socket, '/v1/free', { ...who, protect: [process.pid], target: { kind: 'port', port: p2 }, force: false, graceMs: 2000 });
  assert.equal(freed.status, 200, JSON.stringify(freed.doc));
  assert.deepEqual(freed.doc.stopped.map((s: { pid: number }) => s.pid), [b.pid]);
  assert.ok(!isRunning(b.pid));
  const gc = await post(socket, '/v1/gc', { ...who, dryRun: true });
  assert.equal(gc.status, 200, JSON.stringify(gc.doc));
  assert.equal(gc.doc.dryRun, true);
});

test('berth port and run --port auto lease from the same range: the one of the environment berth runs in', async (t) => {
  const { env } = daemonHome(t);
  // the daemon starts with the default range; the CLI is then given a narrow one
  ok(await berth(['daemon', 'start'], { env }));
  const low = (await freePort()) % 1000 + 40000;
  const ranged = { ...env, BERTH_PORT_RANGE: `${low}-${low + 49}` };
  const port = Number(ok(await berth(['port', 'lease-a'], { env: ranged })).stdout.trim());
  assert.ok(port >= low && port <= low + 49, `berth port leased ${port} from ${low}-${low + 49}`);
  const run = ok(await berth(['run', 'auto-b', '--port', 'auto', '--json', '--', node, SERVICE, '--http'], { env: ranged })).json();
  assert.ok(run.service.port >= low && run.service.port <= low + 49, `run --port auto leased ${run.service.port}, not in ${low}-${low + 49}`);
});

test('doctor: a service that failed for its own reasons is a warning (exit 0) with logs/rm as the fix; a stranger on a declared port is an error (exit 3)', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const r = await berth(['run', 'broken', '--restart', 'on-failure', '--max-restarts', '0', '--', node, SERVICE, '--exit', '1'], { env, cwd: dir });
  assert.notEqual(r.code, 0, r.toString());
  await waitFor(async () => (await berth(['ps', '--all', '--json'], { env, cwd: dir })).json().services.some((s: { name: string; state: string }) => s.name === 'broken' && s.state === 'failed'), { what: 'broken failed' });
  const doc = await berth(['doctor', '--json'], { env, cwd: dir });
  assert.equal(doc.code, 0, `no error finding, exit 0:\n${doc}`);
  const full = `${basename(dir)}/broken`; // the project is the directory's (decision 0016)
  const f = doc.json().findings.find((x: { subject: string }) => x.subject === full);
  assert.equal(f?.severity, 'warning', JSON.stringify(doc.json().findings));
  assert.equal(f.kind, 'service_failed');
  assert.match(f.fix, new RegExp(`berth logs ${full}`));
  assert.match(f.fix, new RegExp(`berth rm ${full}`));
  assert.equal(doc.json().conflicts, 0);

  const port = await freePort();
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  hook:\n    run: [${node}, ${SERVICE}, --http]\n    port: ${port}\n`);
  const s = squatter(t, port, env);
  await s.line(/listening/);
  const plain = await berth(['doctor'], { env, cwd: dir });
  assert.equal(plain.code, 3, `an ERROR line, exit 3:\n${plain}`);
  assert.match(plain.stdout, /^ERROR/m);
});

test('refusals name the CLI flag, and port_taken never tells an agent to release a running service\'s port', async (t) => {
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' };
  const port = await freePort();
  const s = squatter(t, port, env);
  await s.line(/listening/);
  const refused = await berth(['run', 'web', '--port', String(port), '--json', '--', node, SERVICE, '--http'], { env });
  assert.equal(refused.code, 3, refused.toString());
  assert.match(refused.json().error.hint, /--on-conflict evict/);
  ok(await berth(['free', String(port)], { env }));

  ok(await berth(['run', 'web', '--port', String(port), '--', node, SERVICE, '--http'], { env }));
  const taken = await berth(['port', '--reserve', 'other', String(port), '--json'], { env });
  assert.equal(taken.code, 3, taken.toString());
  assert.equal(taken.json().error.code, 'port_taken');
  assert.doesNotMatch(taken.json().error.hint, /--release/, 'not: release another live service\'s reservation');
  assert.match(taken.json().error.hint, /berth ps p\/web/);
});
