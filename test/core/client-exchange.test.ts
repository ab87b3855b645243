// The client's HTTP/1.1 exchange over node:net (src/client/exchange.ts, decision 0033), against
// real unix sockets: the daemon's own node:http answers, and hand-written servers that split an
// answer across many writes, frame it by chunks or by the close, close mid-answer or answer
// garbage. An answer is whole or an error, never short; a daemon's error document reaches the
// caller as the same typed error; a dropped connection says so.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ClosedMidAnswerError, decodeChunked, exchange, MalformedAnswerError } from '../../src/client/exchange.ts';
import { DaemonClient, DaemonUnavailableError } from '../../src/client/client.ts';
import { BerthError } from '../../src/core/errors.ts';
import { send } from '../../src/daemon/server.ts';

function tempSocketDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-xchg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Listens on `path`; closed after the test. */
async function listen(t: TestContext, server: Server | ReturnType<typeof createHttpServer>, path: string): Promise<void> {
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** A raw server: reads the request head (and a body if content-length says so), then runs `answer`. */
function rawServer(answer: (socket: Socket, request: string) => void | Promise<void>): Server {
  return createServer((socket) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(got.slice(0, end))?.[1] ?? 0);
      if (got.length - end - 4 < length) return;
      socket.removeAllListeners('data');
      void answer(socket, got);
    });
  });
}

/** Writes `bytes` in pieces of `size`, each in its own turn of the event loop (so in separate reads). */
async function dribble(socket: Socket, bytes: Buffer, size: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) {
    socket.write(bytes.subarray(i, i + size));
    await new Promise((r) => setTimeout(r, 1));
  }
}

test('the daemon\'s own node:http answers: status, x-berth-build, the body, a POST body delivered whole', async (t) => {
  const path = join(tempSocketDir(t), 'd.sock');
  let received: unknown;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('x-berth-build', 'build-7');
      if (req.url === '/missing') return send(res, 404, { error: { code: 'not_found', message: 'no such' }, exitCode: 4 });
      received = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      send(res, 200, { method: req.method, url: req.url, echo: received });
    });
  });
  await listen(t, server, path);
  const body = { name: 'wt/ünïcode', argv: ['x'.repeat(100_000)] };
  const a = await exchange(path, 'POST', '/v1/run', JSON.stringify(body));
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('x-berth-build'), 'build-7');
  assert.deepEqual(JSON.parse(a.body.toString('utf8')), { method: 'POST', url: '/v1/run', echo: body });
  const missing = await exchange(path, 'GET', '/missing');
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body.toString('utf8')).error.code, 'not_found');
});

test('an answer split into one-byte writes is read whole (content-length)', async (t) => {
  const path = join(tempSocketDir(t), 'd.sock');
  const doc = JSON.stringify({ services: [{ name: 'web', pid: 42 }] });
  await listen(t, rawServer((s) => dribble(s, Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${doc.length}\r\nX-Berth-Build: b1\r\n\r\n${doc}`), 1)), path);
  const a = await exchange(path, 'GET', '/v1/services');
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('x-berth-build'), 'b1');
  assert.equal(a.body.toString(), doc);
});

test('a chunked answer, split mid chunk-size line and mid chunk, is decoded; so is one framed by the close', async (t) => {
  const dir = tempSocketDir(t);
  const chunked = join(dir, 'c.sock');
  const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nA;ext=1\r\n[1,2,3,4]}\r\n0\r\n\r\n';
  await listen(t, rawServer((s) => dribble(s, Buffer.from(wire), 3)), chunked);
  assert.deepEqual(JSON.parse((await exchange(chunked, 'GET', '/x')).body.toString()), { a: [1, 2, 3, 4] });

  const byClose = join(dir, 'e.sock');
  await listen(t, rawServer(async (s) => { await dribble(s, Buffer.from('HTTP/1.0 200 OK\r\n\r\n{"b":true}'), 4); s.end(); }), byClose);
  assert.deepEqual(JSON.parse((await exchange(byClose, 'GET', '/x')).body.toString()), { b: true });
});

test('decodeChunked waits for the last chunk and its empty line, and refuses a bad size', () => {
  assert.equal(decodeChunked(Buffer.from('3\r\nabc\r\n')), undefined);
  assert.equal(decodeChunked(Buffer.from('3\r\nabc\r\n0\r\n')), undefined);
  assert.equal(decodeChunked(Buffer.from('3\r\nabc\r\n0\r\n\r\n'))!.toString(), 'abc');
  assert.equal(decodeChunked(Buffer.from('3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n'))!.toString(), 'abc');
  assert.throws(() => decodeChunked(Buffer.from('zz\r\nabc\r\n')), MalformedAnswerError);
  assert.throws(() => decodeChunked(Buffer.from('3\r\nabcd\r\n')), MalformedAnswerError);
});

test('a connection closed mid-answer, or before any answer, is an ECONNRESET error, never a short answer', async (t) => {
  const dir = tempSocketDir(t);
  const midBody = join(dir, 'm.sock');
  await listen(t, rawServer(async (s) => { await dribble(s, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"services":['), 5); s.end(); }), midBody);
  await assert.rejects(exchange(midBody, 'GET', '/v1/services'), (e: unknown) => e instanceof ClosedMidAnswerError && e.code === 'ECONNRESET');

  const midChunks = join(dir, 'k.sock');
  await listen(t, rawServer((s) => { s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n'); }), midChunks);
  await assert.rejects(exchange(midChunks, 'GET', '/x'), ClosedMidAnswerError);

  const silent = join(dir, 's.sock');
  await listen(t, rawServer((s) => { s.destroy(); }), silent);
  await assert.rejects(exchange(silent, 'GET', '/x'), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ECONNRESET');
});

test('garbage for an answer is a MalformedAnswerError; no socket is an ENOENT (the daemon is then started)', async (t) => {
  const dir = tempSocketDir(t);
  const garbage = join(dir, 'g.sock');
  await listen(t, rawServer((s) => { s.end('SSH-2.0-OpenSSH\r\n\r\n'); }), garbage);
  await assert.rejects(exchange(garbage, 'GET', '/x'), MalformedAnswerError);
  const badLength = join(dir, 'l.sock');
  await listen(t, rawServer((s) => { s.end('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'); }), badLength);
  await assert.rejects(exchange(badLength, 'GET', '/x'), MalformedAnswerError);
  await assert.rejects(exchange(join(dir, 'none.sock'), 'GET', '/x'), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
});

/** A home whose berthd socket is answered by `answer` (a stand-in daemon). */
async function fakeDaemonHome(t: TestContext, answer: (socket: Socket, request: string) => void | Promise<void>): Promise<string> {
  const home = join(tempSocketDir(t), 'home');
  mkdirSync(home, { mode: 0o700 });
  const client = new DaemonClient(home);
  await listen(t, rawServer(answer), client.socket);
  return home;
}

test('through DaemonClient: an error document is the same typed error; a bad one and a dropped connection are daemon_unavailable', async (t) => {
  const doc = JSON.stringify({ error: { code: 'not_found', message: 'no service web', hint: 'berth ps', details: { name: 'web' } }, exitCode: 4 });
  const errorHome = await fakeDaemonHome(t, (s) => dribble(s, Buffer.from(`HTTP/1.1 404 Not Found\r\ncontent-length: ${doc.length}\r\n\r\n${doc}`), 7));
  await assert.rejects(new DaemonClient(errorHome).status(), (e: unknown) => {
    assert.ok(e instanceof BerthError && !(e instanceof DaemonUnavailableError));
    assert.equal(e.code, 'not_found');
    assert.equal(e.message, 'no service web');
    assert.equal(e.hint, 'berth ps');
    assert.deepEqual(e.details, { name: 'web' });
    assert.equal(e.exitCode, 4);
    return true;
  });

  const bare = '{"oops":1}';
  const bareHome = await fakeDaemonHome(t, (s) => { s.end(`HTTP/1.1 500 Internal\r\ncontent-length: ${bare.length}\r\n\r\n${bare}`); });
  await assert.rejects(new DaemonClient(bareHome).status(), (e: unknown) => e instanceof DaemonUnavailableError && /without an error document \(HTTP 500\)/.test(e.message));

  const droppedHome = await fakeDaemonHome(t, (s) => { s.end('HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{"pid":'); });
  await assert.rejects(new DaemonClient(droppedHome).status(), (e: unknown) => e instanceof DaemonUnavailableError && /closed mid-request/.test(e.message));
  await assert.rejects(new DaemonClient(droppedHome).shutdown(), (e: unknown) => e instanceof DaemonUnavailableError && /closed mid-request/.test(e.message));
  const garbageHome = await fakeDaemonHome(t, (s) => { s.end('NOT HTTP\r\n\r\n'); });
  await assert.rejects(new DaemonClient(garbageHome).status(), (e: unknown) => e instanceof DaemonUnavailableError && /malformed answer from berthd/.test(e.message));
});

test('a large answer (64 MiB, by content-length and chunked) is read in linear time, not re-joined on every read', async (t) => {
  const path = join(tempSocketDir(t), 'big.sock');
  const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
  const server = createHttpServer((req, res) => {
    if (req.url === '/chunked') {
      for (let i = 0; i < big.length; i += 65536) res.write(big.subarray(i, i + 65536));
      res.end();
    } else res.end(big);
  });
  await listen(t, server, path);
  for (const url of ['/length', '/chunked']) {
    const started = Date.now();
    const a = await exchange(path, 'GET', url);
    const ms = Date.now() - started;
    assert.equal(a.body.length, big.length, url);
    assert.ok(a.body.equals(big), url);
    // joined on every read, 64 MiB took ~30 s; read once, well under a second
    assert.ok(ms < 5_000, `${url}: ${ms} ms for 64 MiB`);
  }
});
