// The daemon itself: one per home, private socket, event and log streams; what a service is given.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { waitFor } from '../helpers/wait.ts';
import { afterOutput } from '../helpers/procs.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const DAEMON = fileURLToPath(new URL('../../dist/bundle/berthd.cjs', import.meta.url));
const node = process.execPath;


/** Reads a server-sent event stream from the daemon's socket until `until` says enough. */
function readStream(socketPath: string, path: string, until: (events: Array<{ event: string; data: any }>) => boolean): Promise<Array<{ event: string; data: any }>> {
  return new Promise((resolve, reject) => {
    const events: Array<{ event: string; data: any }> = [];
    // a stream that never shows what the test waits for fails in time, not at the file's 300 s limit
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`timed out after 20000 ms reading ${path}: ${JSON.stringify(events).slice(0, 2000)}`));
    }, 20_000);
    const req = request({ socketPath, path }, (res) => {
      let buf = '';
      res.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
          events.push({ event, data });
        }
        if (until(events)) {
          clearTimeout(timer);
          req.destroy();
          resolve(events);
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve(events);
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

test('one daemon per home: a second start names the running pid; socket 0600 in a 0700 home', async (t) => {
  const { env, home } = daemonHome(t);
  const first = ok(await berth(['daemon', 'start', '--json'], { env })).json();
  // the client starts the bundled daemon (one CommonJS file: decision 0031), not the dist/ tree
  assert.equal(spawnSync('ps', ['-o', 'args=', '-p', String(first.pid)], { encoding: 'utf8' }).stdout.trim(), `${node} ${DAEMON}`);
  const second = ok(await berth(['daemon', 'start'], { env }));
  assert.equal(second.stdout, `berthd already running (pid ${first.pid}) for ${home}\n`);
  const direct = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(node, [DAEMON], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    afterOutput(child, (code) => resolve({ code, out }));
  });
  assert.deepEqual(direct, { code: 0, out: `berthd already running (pid ${first.pid}) for ${home}\n` });
  assert.equal(statSync(home).mode & 0o777, 0o700);
  assert.equal(statSync(join(home, 'berthd.sock')).mode & 0o777, 0o600);
  const status = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  assert.deepEqual([status.running, status.pid], [true, first.pid]);
  ok(await berth(['daemon', 'stop'], { env }));
  assert.equal(ok(await berth(['daemon', 'status', '--json'], { env })).json().running, false);
});

test('a service gets PORT, BERTH_SERVICE, BERTH_HOME, its --env and --cwd, and a private TMPDIR removed when it stops', async (t) => {
  const { home, env: base } = daemonHome(t);
  const env: NodeJS.ProcessEnv = { ...base, BERTH_PROJECT: 'p' };
  const cwd = tempDir(t);
  const script = 'console.log("ENV " + JSON.stringify({ port: process.env.PORT, service: process.env.BERTH_SERVICE, home: process.env.BERTH_HOME, tmp: process.env.TMPDIR, color: process.env.COLOR, cwd: process.cwd() })); setInterval(() => {}, 1e9)';
  const r = ok(await berth(['run', 'envy', '--port', 'auto', '--env', 'COLOR=blue', '--cwd', cwd, '--no-wait', '--json', '--', node, '-e', script], { env })).json();
  const log = r.service.logPath as string;
  const line = await waitFor(() => /^ENV (.*)$/m.exec(existsSync(log) ? readFileSync(log, 'utf8') : '')?.[1], { what: 'the ENV line' });
  const seen = JSON.parse(line);
  // BERTH_SERVICE is the full name (project/service), the key every verb takes (decision 0016)
  assert.deepEqual(seen, { port: String(r.service.port), service: 'p/envy', home, tmp: join(home, 'tmp', 'p', 'envy'), color: 'blue', cwd });
  assert.ok(existsSync(seen.tmp));
  ok(await berth(['stop', 'envy'], { env }));
  assert.ok(!existsSync(seen.tmp), 'TMPDIR removed');
});

test('not ready in time: exit 1 with the last 20 log lines; logs are capped by rotation', async (t) => {
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' };
  const chatty = 'for (let i = 1; i <= 30; i++) console.log("line " + i); setInterval(() => {}, 1e9)';
  const r = await berth(['run', 'mute', '--port', 'auto', '--timeout', '1s', '--', node, '-e', chatty], { env });
  assert.equal(r.code, 1, r.toString());
  assert.match(r.stderr, /did not become ready within 1s/);
  assert.match(r.stderr, /--- last 20 log lines ---\n(.*\n)*line 30\n---/);
  assert.ok(!/line 10\n/.test(r.stderr), 'only the last 20');

  const { home, env: capped } = { home: env.BERTH_HOME!, env: { ...env, BERTH_LOG_MAX_BYTES: '20000' } };
  ok(await berth(['daemon', 'stop'], { env }));
  const noisy = 'setInterval(() => console.log("x".repeat(200)), 5)';
  ok(await berth(['run', 'noisy', '--no-wait', '--', node, '-e', noisy], { env: capped }));
  const log = join(home, 'logs', 'p', 'noisy.log');
  await waitFor(() => existsSync(`${log}.1`), { timeoutMs: 15_000, what: 'a rotation' });
  // the check runs every second; at ~40 KB/s the live log never gets far past the cap
  const sizes: number[] = [];
  for (let i = 0; i < 5; i++) {
    sizes.push(statSync(log).size);
    await waitFor(() => statSync(log).size !== sizes.at(-1), { what: 'more output' });
  }
  assert.ok(Math.max(...sizes) < 20_000 + 120_000, `log sizes ${sizes}`);
});

test('event and log streams over the socket (server-sent events)', async (t) => {
  const { home, env: base } = daemonHome(t);
  const env: NodeJS.ProcessEnv = { ...base, BERTH_PROJECT: 'p' };
  ok(await berth(['daemon', 'start'], { env }));
  const sock = join(home, 'berthd.sock');
  const events = readStream(sock, '/v1/events/stream', (evs) => evs.some((e) => e.data.verb === 'start' && e.data.subject === 'p/tick'));
  const run = ok(await berth(['run', 'tick', '--no-wait', '--json', '--', node, '-e', 'let i = 0; setInterval(() => console.log("tick " + ++i), 50)'], { env })).json();
  const got = await events;
  assert.ok(got.every((e) => e.event === 'berth'));
  assert.equal(got.find((e) => e.data.verb === 'start')!.data.details.pid, run.service.pid);
  const lines = await readStream(sock, '/v1/logs/p%2Ftick?n=1&follow=1', (evs) => evs.filter((e) => /^tick \d+$/.test(e.data)).length >= 3);
  const ticks = lines.map((e) => Number(/^tick (\d+)$/.exec(e.data)?.[1])).filter((n) => n > 0);
  assert.ok(ticks.length >= 3 && ticks.every((n, i) => i === 0 || n === ticks[i - 1]! + 1), `consecutive ticks: ${ticks}`);
});

test('tcp: and cmd: health checks decide readiness', async (t) => {
  const { env } = daemonHome(t);
  const tcp = ok(await berth(['run', 'tcpsvc', '--port', 'auto', '--health', 'tcp:$PORT', '--json', '--', node, SERVICE, '--http'], { env })).json();
  assert.equal(tcp.service.state, 'healthy');
  const flag = join(tempDir(t), 'ready');
  const cmd = berth(['run', 'cmdsvc', '--health', `cmd:test -f ${flag}`, '--timeout', '20s', '--json', '--', node, SERVICE], { env });
  await waitFor(async () => (await berth(['ps', '--json'], { env })).json().services.some((s: { name: string; state: string }) => s.name === 'cmdsvc' && s.state === 'starting'), { what: 'cmdsvc starting' });
  writeFileSync(flag, '');
  const ready = (await cmd).json();
  assert.equal(ready.service.state, 'healthy', JSON.stringify(ready));
});
