// The dashboard server (issue 15, items 1, 2, 5 and the server side of 3), against a real daemon
// over real HTTP: `berth dashboard` prints the URL with the token and leases berth's own port; no
// cookie → 401; the token → the HttpOnly SameSite=Strict cookie and a 303; a foreign Host is
// refused; a POST without the CSRF token or from a foreign Origin is refused; a stop of the
// opener's own service works and is on the record with the dashboard as actor; another live
// session's service is refused (409 owned_elsewhere) unless force; the change stream announces a
// service started from the CLI; the token is 0600 and another user cannot read it; the page is
// on 127.0.0.1 only; no CORS header ever. And the review's findings (fix round 3): another Unix
// user's connection is closed even with the right cookie; a cookie of an earlier daemon run is
// 401; a planted second cookie does not lock the user out; a code works once; --open puts no
// secret in xdg-open's argv; the connection limit holds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type Socket } from 'node:net';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startAgent } from '../helpers/agent.ts';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { noSecondUser, secondUser } from '../helpers/users.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;

interface Page {
  port: number;
  /** the single-use code of the URL (already used) */
  code: string;
  origin: string;
  /** the cookies the token exchange set, as a Cookie header */
  cookie: string;
  csrf: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers (fetch would not let a test send a foreign Host). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A POST whose headers declare `length` bytes of body, none of which is sent: the status of the
 * answer, which must come from the headers alone. (Sending the body too made the test flaky: the
 * server answers and closes with the body unread, the kernel resets the connection, and the
 * client's write fails with EPIPE, sometimes before it has read the answer.)
 */
function declaredOnly(port: number, path: string, headers: Record<string, string>, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(length) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    // a server that waits for the body instead of answering: a failure, not a hang
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to a declared ${length}-byte body within 10 s`)));
    req.flushHeaders();
  });
}

/** `berth dashboard --json`, then the token exchange and the page, as a browser does. */
async function openPage(env: NodeJS.ProcessEnv): Promise<Page> {
  const { url } = ok(await berth(['dashboard', '--json'], { env })).json() as { url: string };
  const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?code=([0-9a-f]{64})$/.exec(url);
  assert.ok(m, `the URL is on 127.0.0.1 with a code: ${url}`);
  const port = Number(m[1]);
  const code = m[2]!;
  const host = `127.0.0.1:${port}`;
  const exchange = await raw(port, 'GET', `/?code=${code}`, { host });
  assert.equal(exchange.status, 303, exchange.body);
  assert.equal(exchange.headers.location, '/');
  const set = exchange.headers['set-cookie'] as string[];
  assert.equal(set.length, 1, `one cookie: ${set.join(' | ')}`);
  assert.match(set[0]!, /^berth_dashboard=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/, 'the session cookie');
  const cookie = set[0]!.split(';')[0]!;
  assert.ok(!cookie.includes(code), 'the cookie is a new secret, not the code');
  const page = await raw(port, 'GET', '/', { host, cookie });
  assert.equal(page.status, 200);
  const csrf = /<meta name="berth-csrf" content="([0-9a-f]{64})">/.exec(page.body)?.[1];
  assert.ok(csrf, `the page carries the CSRF token:\n${page.body}`);
  return { port, code, origin: `http://${host}`, cookie, csrf };
}

function api(page: Page, path: string): Promise<Answer> {
  return raw(page.port, 'GET', path, { host: `127.0.0.1:${page.port}`, cookie: page.cookie });
}

function act(page: Page, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return raw(page.port, 'POST', '/api/action', { host: `127.0.0.1:${page.port}`, cookie: page.cookie, origin: page.origin, 'x-berth-csrf': page.csrf, ...headers }, JSON.stringify(body));
}

function noCors(a: Answer): void {
  assert.deepEqual(Object.keys(a.headers).filter((h) => h.startsWith('access-control-')), [], 'no CORS header');
}

test('the code, the cookie, the Host and Origin checks, the CSRF token, no CORS, loopback only', async (t) => {
  const { env } = daemonHome(t);
  const page = await openPage(env);
  const host = `127.0.0.1:${page.port}`;

  // the same port again (sticky) with a new code; and the port is berth's own lease in `berth ports`
  const again = ok(await berth(['dashboard', '--json'], { env })).json().url as string;
  assert.match(again, new RegExp(`^http://${host}/\\?code=[0-9a-f]{64}$`));
  assert.ok(!again.endsWith(page.code), 'each call mints its own code');
  const ports = ok(await berth(['ports', '--json'], { env })).json();
  const claim = ports.claims.find((c: { name: string }) => c.name === 'berth/dashboard');
  assert.ok(claim, `berth/dashboard is leased: ${JSON.stringify(ports.claims)}`);
  assert.equal(claim.port, page.port);
  assert.equal(claim.status, 'ok', 'held by its own holder, the daemon: no conflict');
  const listening = ports.listeners.filter((l: { port: number }) => l.port === page.port);
  assert.deepEqual(listening.map((l: { address: string }) => l.address), ['127.0.0.1'], 'the page listens on 127.0.0.1 only, never 0.0.0.0');
  for (const addr of Object.values(networkInterfaces()).flat()) {
    if (!addr || addr.internal || addr.family !== 'IPv4') continue;
    const reached = await new Promise<boolean>((resolve) => {
      const s = connect(page.port, addr.address, () => (s.destroy(), resolve(true))).on('error', () => resolve(false));
    });
    assert.equal(reached, false, `not reachable on ${addr.address}`);
  }

  // no cookie: 401, a page for a browser, the error document for the API
  const bare = await raw(page.port, 'GET', '/', { host });
  assert.equal(bare.status, 401);
  assert.match(bare.body, /berth dashboard/);
  const bareApi = await raw(page.port, 'GET', '/api/ps', { host });
  assert.equal(bareApi.status, 401);
  assert.equal(JSON.parse(bareApi.body).error.code, 'unauthorized');
  assert.equal((await raw(page.port, 'GET', '/api/ps', { host, cookie: `berth_dashboard=${'0'.repeat(64)}` })).status, 401, 'a wrong cookie');
  assert.equal((await raw(page.port, 'GET', `/?code=${'f'.repeat(64)}`, { host })).status, 401, 'a wrong code');
  const reused = await raw(page.port, 'GET', `/?code=${page.code}`, { host });
  assert.equal(reused.status, 401, 'a used code cannot be used twice');
  assert.equal(reused.headers['set-cookie'], undefined);
  noCors(bare);

  // with the cookie: the documents of the CLI's --json
  const ps = await api(page, '/api/ps');
  assert.equal(ps.status, 200, ps.body);
  assert.deepEqual(JSON.parse(ps.body), ok(await berth(['ps', '--all', '--json'], { env })).json());
  noCors(ps);
  for (const path of ['/api/ports', '/api/locks', '/api/orphans', '/api/doctor', '/api/events?limit=5']) {
    const a = await api(page, path);
    assert.equal(a.status, 200, `${path}: ${a.body}`);
  }

  // a foreign Host (DNS rebinding), even with the cookie: refused
  for (const foreign of [`evil.example:${page.port}`, '127.0.0.1', `127.0.0.1:${page.port + 1}`]) {
    const a = await raw(page.port, 'GET', '/api/ps', { host: foreign, cookie: page.cookie });
    assert.equal(a.status, 421, `Host ${foreign}: ${a.body}`);
    assert.equal(JSON.parse(a.body).error.code, 'foreign_host');
  }
  assert.equal((await raw(page.port, 'GET', '/api/ps', { host: `localhost:${page.port}`, cookie: page.cookie })).status, 200, 'localhost:PORT is the page too');

  // a change without the CSRF token, with a wrong one, from a foreign Origin or none: 403, and nothing done
  const gc = { verb: 'gc-orphans', target: '999999' };
  const noCsrf = await raw(page.port, 'POST', '/api/action', { host, cookie: page.cookie, origin: page.origin }, JSON.stringify(gc));
  assert.equal(noCsrf.status, 403, noCsrf.body);
  assert.equal(JSON.parse(noCsrf.body).error.code, 'csrf_mismatch');
  assert.equal((await act(page, gc, { 'x-berth-csrf': 'a'.repeat(64) })).status, 403);
  const foreignOrigin = await act(page, gc, { origin: 'http://evil.example' });
  assert.equal(foreignOrigin.status, 403);
  assert.equal(JSON.parse(foreignOrigin.body).error.code, 'foreign_origin');
  noCors(foreignOrigin);
  assert.equal((await raw(page.port, 'POST', '/api/action', { host, cookie: page.cookie, 'x-berth-csrf': page.csrf }, JSON.stringify(gc))).status, 403, 'no Origin');
  const bad = await act(page, { verb: 'rm', target: 'x' });
  assert.equal(bad.status, 400, `an unknown verb: ${bad.body}`);
  assert.doesNotMatch(JSON.parse(bad.body).error.hint, /socket API/, 'the hint speaks of the page, not the socket API');
  const bareName = await act(page, { verb: 'stop', target: 'mine' });
  assert.equal(bareName.status, 400, `a bare service name: ${bareName.body}`);
  assert.match(JSON.parse(bareName.body).error.message, /PROJECT\/NAME/);
  assert.equal((await api(page, '/api/logs?name=mine')).status, 400, 'a bare name for the logs too');
  const big = await declaredOnly(page.port, '/api/action', { host, cookie: page.cookie, origin: page.origin, 'x-berth-csrf': page.csrf }, 5 * 1024 * 1024);
  assert.equal(big, 413, 'a body too large is answered, not reset');

  // a cookie planted by another page of 127.0.0.1 (sent first, say with Path=/api) does not lock the user out
  assert.equal((await raw(page.port, 'GET', '/api/ps', { host, cookie: `berth_dashboard=${'0'.repeat(64)}; ${page.cookie}` })).status, 200, 'any matching cookie value lets in');
});

test('another Unix user is closed on even with the right cookie', async (t) => {
  const why = noSecondUser();
  if (why) return t.skip(why);
  const { env } = daemonHome(t);
  const page = await openPage(env);
  const other = secondUser(t);
  const curl = (cookie: string): { code: number; out: string } => {
    try {
      return { code: 0, out: execFileSync(other.as[0]!, [...other.as.slice(1), 'curl', '-sS', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Cookie: ${cookie}`, `${page.origin}/api/ps`], { encoding: 'utf8', stdio: 'pipe' }) };
    } catch (err) {
      const e = err as { status: number; stdout: string };
      return { code: e.status, out: String(e.stdout) };
    }
  };
  const theirs = curl(page.cookie);
  assert.notEqual(theirs.code, 0, `curl as another user must fail: ${JSON.stringify(theirs)}`);
  assert.ok(theirs.out === '000', `no HTTP answer at all: ${JSON.stringify(theirs)}`);
  // and the owner, with the same cookie, is served
  assert.equal((await api(page, '/api/ps')).status, 200);
});

test('a cookie from an earlier daemon run is 401, telling to open the URL again', async (t) => {
  const { env } = daemonHome(t);
  const page = await openPage(env);
  ok(await berth(['daemon', 'stop'], { env }));
  const next = await openPage(env);
  assert.equal(next.port, page.port, 'the same port (sticky lease)');
  const old = await api({ ...next, cookie: page.cookie }, '/api/ps');
  assert.equal(old.status, 401, old.body);
  assert.match(JSON.parse(old.body).error.message, /berth dashboard again/);
  assert.equal((await raw(next.port, 'GET', `/?code=${page.code}`, { host: `127.0.0.1:${next.port}` })).status, 401, 'an earlier run\'s code');
  assert.equal((await api(next, '/api/ps')).status, 200);
});

test('at most 64 connections at once', async (t) => {
  const { env } = daemonHome(t);
  const page = await openPage(env);
  const sockets: Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  let closed = 0;
  for (let i = 0; i < 72; i++) {
    const s = connect(page.port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => closed++);
    sockets.push(s);
  }
  await waitFor(() => closed >= 8, { what: `connections beyond 64 closed (closed ${closed})` });
  // the limit is a limit, not a lock-out: once they go, the page answers again
  sockets.forEach((s) => s.destroy());
  await waitFor(async () => (await api(page, '/api/ps')).status === 200, { what: 'the page after the connections went' });
});

test('actions: the opener\'s own service is stopped and recorded with the dashboard as actor; another live session\'s only with force', async (t) => {
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' };
  ok(await berth(['run', 'mine', '--port', 'auto', '--', node, SERVICE, '--http'], { env }));
  const agent = await startAgent(t, env);
  ok(await agent.berth(['run', 'theirs', '--port', 'auto', '--', node, SERVICE, '--http'], { env: { BERTH_PROJECT: 'p' } }));
  const page = await openPage(env);

  const stopped = await act(page, { verb: 'stop', target: 'p/mine' });
  assert.equal(stopped.status, 200, stopped.body);
  assert.equal(JSON.parse(stopped.body).service.state, 'stopped', 'the stop verb\'s own document');
  const events = ok(await berth(['events', '--json'], { env })).json().events as Array<{ verb: string; subject: string; actor: string }>;
  const stopEvent = events.find((e) => e.verb === 'stop' && e.subject === 'p/mine');
  assert.ok(stopEvent, `the stop is on the record: ${JSON.stringify(events.map((e) => e.verb))}`);
  assert.match(stopEvent.actor, /^dashboard:[0-9a-f]{8} \(pid \d+\)$/);
  const filtered = JSON.parse((await api(page, '/api/events?verb=stop&project=p&limit=10')).body).events as Array<{ verb: string }>;
  assert.ok(filtered.length >= 1 && filtered.every((e) => e.verb === 'stop'), `/api/events filters by verb and project: ${JSON.stringify(filtered)}`);

  const refused = await act(page, { verb: 'stop', target: 'p/theirs' });
  assert.equal(refused.status, 409, refused.body);
  const error = JSON.parse(refused.body).error;
  assert.equal(error.code, 'owned_elsewhere');
  assert.equal(error.details.owner, agent.session);
  const theirs = JSON.parse((await api(page, '/api/ps')).body).services.find((s: { fullName: string }) => s.fullName === 'p/theirs');
  assert.notEqual(theirs.state, 'stopped', 'the refused stop did nothing');

  const forced = await act(page, { verb: 'stop', target: 'p/theirs', force: true });
  assert.equal(forced.status, 200, forced.body);
  const overrides = ok(await berth(['events', '--json'], { env })).json().events.filter((e: { verb: string }) => e.verb === 'override');
  assert.ok(overrides.some((e: { actor: string; subject: string }) => e.subject === 'p/theirs' && e.actor.startsWith('dashboard:')), 'the override names the dashboard');
});

test('the change stream announces a service started from the CLI within 2 s', async (t) => {
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' };
  const page = await openPage(env);
  const stream = await fetch(`${page.origin}/api/stream`, { headers: { cookie: page.cookie } });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = stream.body!.getReader();
  let text = '';
  let seenAt: number | undefined;
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += Buffer.from(value).toString('utf8');
      if (seenAt === undefined && text.includes('event: change\ndata: {"kind":"service","name":"p/live"}')) seenAt = Date.now();
    }
  })().catch(() => {});
  t.after(async () => {
    await reader.cancel().catch(() => {});
    await reading;
  });
  ok(await berth(['run', 'live', '--port', 'auto', '--', node, SERVICE, '--http'], { env }));
  const ranAt = Date.now();
  await waitFor(() => seenAt !== undefined, { timeoutMs: 2_000, what: `the change of p/live on the stream:\n${text}` });
  assert.ok(seenAt! - ranAt <= 2_000);
  // and an event written by another process (a CLI lease) is announced too
  ok(await berth(['port', 'other'], { env }));
  await waitFor(() => /event: change\ndata: \{"kind":"event","id":\d+\}/.test(text), { timeoutMs: 2_000, what: 'an event change' });
});

test('berth dashboard --open hands xdg-open a private page (no secret in its argv), and says so when there is none', async (t) => {
  const { home, env } = daemonHome(t);
  const bin = join(tempDir(t), 'bin');
  mkdirSync(bin);
  const got = join(bin, 'opened');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > "${got}"\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const opened = ok(await berth(['dashboard', '--open'], { env: { ...env, PATH: `${bin}:${process.env.PATH}` } }));
  const url = opened.stdout.trim();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?code=[0-9a-f]{64}$/, 'the URL, once, on stdout');
  assert.match(opened.stderr, /opened the dashboard with xdg-open/);
  const argv = await waitFor(() => { try { return readFileSync(got, 'utf8').trim(); } catch { return undefined; } }, { what: 'xdg-open to be called' });
  // xdg-open's argv (readable by every user in /proc) has no secret: a private page in the home leads on
  const page = join(home, 'dashboard-open.html');
  assert.equal(argv, `file://${page}`);
  assert.doesNotMatch(argv, /[0-9a-f]{64}/);
  assert.equal(statSync(page).mode & 0o777, 0o600);
  assert.ok(readFileSync(page, 'utf8').includes(`url=${url}"`), 'the page leads to the URL');
  const none = ok(await berth(['dashboard', '--open'], { env: { ...env, PATH: join(tempDir(t), 'empty') } }));
  assert.match(none.stderr, /no xdg-open or open on PATH/);
  assert.match(none.stdout.trim(), /\?code=[0-9a-f]{64}$/);
});
