// The daemon's socket API fed hostile and random bodies, paths and query strings over the real
// socket: every one is answered with a 4xx and a typed error document (or a valid result), the
// daemon stays up (the same pid answers at the end), and nothing invalid is ever stored. Before,
// `{}` and `null` were 500s, `restart: "bogus"` was stored and crash-looped, and port 70000 broke
// the registry ("cannot open the registry").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertBystandersAlive, countHostile, startBystander } from '../helpers/adversarial.ts';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';

interface Answer {
  status: number;
  body: any;
  raw: string;
}

function call(socket: string, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let raw = '';
      res.on('data', (c: Buffer) => (raw += c.toString()));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, raw });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('socket API: hostile and random bodies get a 4xx typed error, the daemon stays up, nothing invalid is stored', async (t) => {
  const { home, env } = daemonHome(t);
  const bystander = startBystander(t);
  const status = ok(await berth(['daemon', 'start', '--json'], { env })).json();
  const socket = join(home, 'berthd.sock');
  const daemonPid = (await call(socket, 'GET', '/v1/status')).body.pid as number;
  assert.ok(daemonPid > 0, JSON.stringify(status));

  const owner = { session: 'api-test', source: 'env', user: 'root' };
  const spec = { name: 'web', argv: ['sleep', '1000'], cwd: '/tmp', env: {}, port: { kind: 'none' }, health: null, restart: 'never', maxRestarts: null, purpose: null, ephemeral: false, onConflict: 'refuse', locks: [] };
  const run = { actor: 'api-test', owner, spec, env: {}, wait: false, timeoutMs: 5000 };
  const withSpec = (patch: Record<string, unknown>): string => JSON.stringify({ ...run, spec: { ...spec, ...patch } });
  // the findings, and their neighbours
  const handpicked: Array<[string, string, string | undefined]> = [
    ['POST', '/v1/run', '{}'],
    ['POST', '/v1/run', 'null'],
    ['POST', '/v1/run', '[]'],
    ['POST', '/v1/run', '"run"'],
    ['POST', '/v1/run', '{"spec":null}'],
    ['POST', '/v1/run', '{not json'],
    ['POST', '/v1/run', withSpec({ restart: 'bogus' })],
    ['POST', '/v1/run', withSpec({ port: { kind: 'fixed', port: 70000 } })],
    ['POST', '/v1/run', withSpec({ port: { kind: 'fixed', port: -1 } })],
    ['POST', '/v1/run', withSpec({ name: '../../etc/passwd' })],
    ['POST', '/v1/run', withSpec({ name: 'a\u001b[2J' })],
    ['POST', '/v1/run', withSpec({ argv: [] })],
    ['POST', '/v1/run', withSpec({ argv: ['sle\0ep'] })],
    ['POST', '/v1/run', withSpec({ env: { 'A=B': 'x' } })],
    ['POST', '/v1/run', withSpec({ env: { A: 'x\0y' } })],
    ['POST', '/v1/run', withSpec({ cwd: 'relative' })],
    ['POST', '/v1/run', withSpec({ locks: ['relative.db'] })],
    ['POST', '/v1/run', withSpec({ health: 'ftp://x' })],
    ['POST', '/v1/run', withSpec({ maxRestarts: 1e300 })],
    ['POST', '/v1/run', JSON.stringify({ ...run, timeoutMs: 'soon' })],
    ['POST', '/v1/run', JSON.stringify({ ...run, protect: 'everything' })],
    ['POST', '/v1/stop', '{}'],
    ['POST', '/v1/stop', JSON.stringify({ actor: 'x', owner, name: 7, graceMs: 1 })],
    ['POST', '/v1/stop', JSON.stringify({ actor: 'x', owner, name: 'web', graceMs: -5 })],
    ['POST', '/v1/restart', 'null'],
    ['POST', '/v1/rm', '[1,2,3]'],
    ['GET', '/v1/logs/%E0%A4%A', undefined],
    ['GET', '/v1/logs/..%2F..%2Fberth.db', undefined],
    ['GET', '/v1/logs/web?n=abc', undefined],
    ['GET', '/v1/logs/web?n=99999999999999999999', undefined],
    ['GET', '/v1/events/stream?after=-1', undefined],
    ['GET', '/v1/nope', undefined],
    ['DELETE', '/v1/run', undefined],
  ];
  // random bodies: anything at all, or a valid request with one field replaced
  const field = fc.constantFrom('actor', 'owner', 'spec', 'env', 'wait', 'timeoutMs', 'protect', 'name', 'graceMs');
  const randomBody = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.tuple(field, fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => JSON.stringify({ ...run, [k]: v })),
    fc.tuple(fc.constantFrom(...Object.keys(spec)), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => withSpec({ [k]: v })),
  );
  const random = fc.sample(fc.tuple(fc.constantFrom('/v1/run', '/v1/stop', '/v1/restart', '/v1/rm'), randomBody), { numRuns: 150, seed: 20260110 });
  const requests = [...handpicked, ...random.map(([path, body]) => ['POST', path, body] as [string, string, string])];
  countHostile(t, requests.length, 'socket API requests: malformed, wrong types, out of range, random');

  let valid = 0;
  for (const [method, path, body] of requests) {
    const answer = await call(socket, method, path, body);
    const what = `${method} ${path} ${body?.slice(0, 200)} → ${answer.status} ${answer.raw.slice(0, 300)}`;
    assert.ok(answer.status !== 500, `never a 500: ${what}`);
    if (answer.status >= 400) {
      assert.ok(answer.status < 500, `a 4xx: ${what}`);
      assert.equal(typeof answer.body?.error?.code, 'string', `a typed error document: ${what}`);
      assert.equal(typeof answer.body.error.message, 'string', what);
      assert.ok(!/\n\s+at /.test(answer.raw), `no stack: ${what}`);
    } else valid++;
  }
  // a random body that happens to be a valid run may have started a service: it must be valid
  const services = ok(await berth(['ps', '--all', '--json'], { env })).json().services as Array<{ name: string; restartPolicy: string; port: number | null }>;
  assert.ok(services.length <= valid, `only valid requests stored anything: ${JSON.stringify(services)}`);
  for (const s of services) {
    assert.match(s.name, /^[A-Za-z0-9._-]{1,64}$/);
    assert.ok(['always', 'on-failure', 'never'].includes(s.restartPolicy), JSON.stringify(s));
    assert.ok(s.port === null || (s.port >= 1 && s.port <= 65535), JSON.stringify(s));
  }
  // the daemon stayed up: the same process answers, and it logged no internal error
  assert.equal((await call(socket, 'GET', '/v1/status')).body.pid, daemonPid);
  const log = readFileSync(join(home, 'logs', 'berthd.log'), 'utf8');
  assert.doesNotMatch(log, /internal error/, log.slice(-2000));
  // and it still works for a well-formed request
  const started = await call(socket, 'POST', '/v1/run', JSON.stringify(run));
  assert.equal(started.status, 200, started.raw);
  assert.equal(started.body.service.restartPolicy, 'never');
  assertBystandersAlive(t, [bystander]);
});
