// `berth adopt` (issue 13, item 4), the seed case: HTTP servers started without berth, each
// guarded by a hand-written pidfile (check the file, write its own pid, serve), put under names
// one by one without changing their code; then watched, restarted from the recorded command
// after a SIGKILL, stopped with `berth stop`. Adoption by pid and by port, and the refusals: a
// stale pidfile (its pid gone, or a process that started after the file was written), pid 1,
// a process that is a berth service already, a taken name.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { hasCommand, isRunning, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const PYTHON = hasCommand('python3');

// A server as people write them: refuse to start twice, write the pidfile, serve. It answers
// every GET with its own pid, so a test can tell a restarted instance from the old one.
const GUARDED_SERVER = `
import http.server, os, sys
pidfile, port = sys.argv[1], int(sys.argv[2])
try:
    old = int(open(pidfile).read().strip())
    os.kill(old, 0)
    sys.exit(f"already running as pid {old}")
except (FileNotFoundError, ValueError, ProcessLookupError):
    pass
with open(pidfile, "w") as f:
    f.write(f"{os.getpid()}\\n")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = str(os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
`;

/** The pid the server on this port answers with, or undefined while nothing answers. */
function servedPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(/^\d+$/.test(body) ? Number(body) : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

interface Server {
  pid: number;
  port: number;
  pidfile: string;
}

/** Starts one guarded server (in its own session, as a server started with nohup … & is) and waits until it serves. */
async function startServer(t: TestContext, dir: string, env: NodeJS.ProcessEnv, label: string): Promise<Server> {
  const port = await freePort();
  const pidfile = join(dir, `.${label}-server.pid`);
  const script = join(dir, 'server.py');
  const proc = start(t, 'python3', [script, pidfile, String(port)], { env, cwd: dir, detached: true });
  await waitFor(async () => (await servedPid(port)) === proc.pid, { timeoutMs: 15_000, what: `${label} serving on :${port}\n${proc.output()}` });
  return { pid: proc.pid, port, pidfile };
}

function setup(t: TestContext): { env: NodeJS.ProcessEnv; dir: string } {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'server.py'), GUARDED_SERVER);
  return { env, dir };
}

test('three pidfile-guarded servers are adopted one by one, restarted after a SIGKILL, and stopped', { skip: !PYTHON && 'python3 is not installed' }, async (t) => {
  const { env, dir } = setup(t);
  const servers = [await startServer(t, dir, env, 'a'), await startServer(t, dir, env, 'b'), await startServer(t, dir, env, 'c')];
  const names = ['app/a', 'app/b', 'app/c'];

  for (const [i, server] of servers.entries()) {
    const r = await berth(['adopt', names[i]!, '--pidfile', server.pidfile, ...(i === 0 ? ['--restart', 'always'] : []), '--json'], { env, cwd: dir });
    assert.equal(r.code, 0, r.toString());
    const doc = r.json();
    assert.equal(doc.outcome, 'adopted');
    assert.equal(doc.service.pid, server.pid);
    assert.equal(doc.service.port, server.port, 'the port it listens on is recorded');
    assert.deepEqual(doc.source, { kind: 'pidfile', port: null, pidfile: server.pidfile });
    // the command line as /proc shows it (a pyenv shim execs python3 by its full path)
    assert.match(doc.service.argv[0], /python3$/);
    assert.deepEqual(doc.service.argv.slice(1), [join(dir, 'server.py'), server.pidfile, String(server.port)]);
    assert.equal(doc.service.cwd, dir);
    assert.equal(doc.warnings.length, 1);
    assert.match(doc.warnings[0], /berth logs app\/[abc]/);
  }

  // ps shows the three adopted services, each with its process
  const ps = await berth(['ps', '--json'], { env });
  const listed = new Map<string, any>(ps.json().services.map((s: any) => [s.fullName, s]));
  for (const [i, name] of names.entries()) {
    assert.equal(listed.get(name)?.pid, servers[i]!.pid, `${name} in ps: ${ps.stdout}`);
    assert.ok(['running', 'healthy'].includes(listed.get(name).state), ps.stdout);
  }
  // the port is reserved for the name: who attributes it
  const who = await berth(['who', String(servers[1]!.port), '--json'], { env });
  assert.equal(who.json().claim?.name, 'app/b', who.stdout);

  // the audit log has the adoption, with pid, command and source
  const events = (await berth(['events', '--json'], { env })).json().events.filter((e: any) => e.verb === 'adopt' && e.subject === 'app/a');
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0].details.pid, servers[0]!.pid);
  assert.equal(events[0].details.source, 'pidfile');
  assert.match(events[0].details.command, /server\.py/);

  // SIGKILL of the one adopted with --restart always: back from the recorded command, a new pid serving on its port
  process.kill(servers[0]!.pid, 'SIGKILL');
  const back = await waitFor(
    async () => {
      const pid = await servedPid(servers[0]!.port);
      return pid !== undefined && pid !== servers[0]!.pid ? pid : undefined;
    },
    { timeoutMs: 20_000, what: 'app/a to be restarted by berth' },
  );
  const a = (await berth(['ps', 'app/a', '--json'], { env })).json().services[0];
  assert.equal(a.pid, back, 'ps names the restarted process');
  assert.equal(a.restarts, 1);
  // from now on its output goes to berth's log
  const logs = await berth(['logs', 'app/a', '--json'], { env });
  assert.ok(logs.json().lines.some((l: string) => /adopted pid \d+/.test(l)), logs.stdout);
  assert.ok(logs.json().lines.some((l: string) => /restart 1 of app\/a/.test(l)), logs.stdout);

  // berth stop stops it, and only it
  const stop = await berth(['stop', 'app/b', '--grace', '3s', '--json'], { env });
  assert.equal(stop.code, 0, stop.toString());
  await waitFor(() => !isRunning(servers[1]!.pid), { timeoutMs: 10_000, what: 'app/b to be stopped' });
  assert.equal(stop.json().service.state, 'stopped');
  assert.ok(isRunning(servers[2]!.pid), 'app/c keeps running');
});

test('adopt by pid and by port; the same process again is already adopted; refusals name their reason', { skip: !PYTHON && 'python3 is not installed' }, async (t) => {
  const { env, dir } = setup(t);
  const d = await startServer(t, dir, env, 'd');
  const e = await startServer(t, dir, env, 'e');

  const byPid = await berth(['adopt', 'app/d', '--pid', String(d.pid), '--json'], { env, cwd: dir });
  assert.equal(byPid.code, 0, byPid.toString());
  assert.equal(byPid.json().service.pid, d.pid);
  assert.equal(byPid.json().service.port, d.port, 'the port its tree listens on');
  assert.equal(byPid.json().source.kind, 'pid');

  const byPort = await berth(['adopt', 'app/e', '--port', String(e.port), '--json'], { env, cwd: dir });
  assert.equal(byPort.code, 0, byPort.toString());
  assert.equal(byPort.json().service.pid, e.pid);
  assert.deepEqual(byPort.json().source, { kind: 'port', port: e.port, pidfile: null });

  const again = await berth(['adopt', 'app/e', '--pid', String(e.pid), '--json'], { env, cwd: dir });
  assert.equal(again.code, 0, again.toString());
  assert.equal(again.json().outcome, 'already_adopted');

  // a process of a berth service has a name already
  const twice = await berth(['adopt', 'app/e2', '--pid', String(e.pid), '--json'], { env, cwd: dir });
  assert.equal(twice.code, 3, twice.toString());
  assert.equal(twice.json().error.code, 'adopt_refused');
  assert.equal(twice.json().error.details.reason, 'berth_service');
  assert.equal(twice.json().error.details.service, 'app/e');

  // a taken name
  const taken = await berth(['adopt', 'app/d', '--pid', String(e.pid), '--json'], { env, cwd: dir });
  assert.equal(taken.code, 3, taken.toString());
  assert.equal(taken.json().error.code, 'name_taken');

  // pid 1, and the caller's own ancestors
  const init = await berth(['adopt', 'app/init', '--pid', '1', '--json'], { env, cwd: dir });
  assert.equal(init.code, 3, init.toString());
  assert.equal(init.json().error.code, 'adopt_refused');
  assert.equal(init.json().error.details.reason, 'pid1');
  const mine = await berth(['adopt', 'app/me', '--pid', String(process.pid), '--json'], { env, cwd: dir });
  assert.equal(mine.code, 3, mine.toString());
  assert.equal(mine.json().error.details.reason, 'requester');

  // no listener on a port
  const nobody = await berth(['adopt', 'app/none', '--port', String(await freePort()), '--json'], { env, cwd: dir });
  assert.equal(nobody.code, 4, nobody.toString());
  assert.equal(nobody.json().error.code, 'no_listener');

  const ps = (await berth(['ps', '--all', '--json'], { env })).json().services.map((s: any) => s.fullName).sort();
  assert.deepEqual(ps, ['app/d', 'app/e'], 'nothing refused was recorded');
});

test('a stale pidfile is refused with the reason and never acted on', { skip: !PYTHON && 'python3 is not installed' }, async (t) => {
  const { env, dir } = setup(t);

  // its pid is gone
  const gone = start(t, 'python3', ['-c', 'import os; print(os.getpid())']);
  await gone.exited;
  const gonePidfile = join(dir, 'gone.pid');
  writeFileSync(gonePidfile, `${gone.pid}\n`);
  const r1 = await berth(['adopt', 'app/gone', '--pidfile', gonePidfile, '--json'], { env, cwd: dir });
  assert.equal(r1.code, 4, r1.toString());
  assert.equal(r1.json().error.code, 'pidfile_stale');
  assert.equal(r1.json().error.details.reason, 'gone');

  // its pid now belongs to a process that started after the file was written (pid reuse)
  const f = await startServer(t, dir, env, 'f');
  const reused = join(dir, 'reused.pid');
  writeFileSync(reused, `${f.pid}\n`);
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(reused, hourAgo, hourAgo);
  const r2 = await berth(['adopt', 'app/reused', '--pidfile', reused, '--json'], { env, cwd: dir });
  assert.equal(r2.code, 4, r2.toString());
  const err = r2.json().error;
  assert.equal(err.code, 'pidfile_stale');
  assert.equal(err.details.reason, 'started_after_file');
  assert.equal(err.details.pid, f.pid);
  assert.match(err.message, /reused/);
  assert.ok(isRunning(f.pid), 'the process the stale pidfile names is left alone');
  assert.equal((await servedPid(f.port)), f.pid);

  // not a pidfile at all
  const junk = join(dir, 'junk.pid');
  writeFileSync(junk, 'hello\n');
  const r3 = await berth(['adopt', 'app/junk', '--pidfile', junk, '--json'], { env, cwd: dir });
  assert.equal(r3.code, 2, r3.toString());
  assert.equal(r3.json().error.code, 'invalid_pidfile');

  const ps = await berth(['ps', '--all', '--json'], { env });
  assert.deepEqual(ps.json().services, [], 'nothing was adopted');
});

/** Live pids whose argv is exactly this, with their process group. */
function findByArgv(argv: string[]): Array<{ pid: number; pgid: number }> {
  const out: Array<{ pid: number; pgid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').slice(0, -1);
      if (cmd.join('\0') !== argv.join('\0')) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') out.push({ pid: Number(entry), pgid: Number(fields[2]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test('stop of an adopted process stops it and its descendants, never the rest of its process group', { skip: !PYTHON && 'python3 is not installed' }, async (t) => {
  const { env, dir } = setup(t);
  const port = await freePort();
  const pidfile = join(dir, '.g-server.pid');
  const tag = `${process.pid}${port}`;
  // the leader (sh, then python3 by exec) has a child (sleep …1) and leaves a group member that is no descendant of it (sleep …0, orphaned by the subshell)
  const leader = start(t, 'sh', ['-c', `(sleep ${tag}0 &); sleep ${tag}1 & exec python3 server.py ${pidfile} ${port}`], { env, cwd: dir, detached: true });
  await waitFor(async () => (await servedPid(port)) === leader.pid, { timeoutMs: 15_000, what: `the server on :${port}\n${leader.output()}` });
  const [stranger] = await waitFor(() => { const f = findByArgv(['sleep', `${tag}0`]); return f.length === 1 ? f : undefined; }, { what: 'the orphaned group member' });
  const [child] = await waitFor(() => { const f = findByArgv(['sleep', `${tag}1`]); return f.length === 1 ? f : undefined; }, { what: 'the child' });
  assert.equal(stranger!.pgid, leader.pid, 'the orphan is in the leader\'s process group');

  const adopt = await berth(['adopt', 'app/g', '--pidfile', pidfile, '--json'], { env, cwd: dir });
  assert.equal(adopt.code, 0, adopt.toString());
  const stop = await berth(['stop', 'app/g', '--grace', '3s', '--json'], { env });
  assert.equal(stop.code, 0, stop.toString());
  await waitFor(() => !isRunning(leader.pid) && !isRunning(child!.pid), { timeoutMs: 10_000, what: 'the leader and its child to be stopped' });
  assert.ok(isRunning(stranger!.pid), 'a process group id is never proof: the group member that is no descendant is left alone');
  process.kill(stranger!.pid, 'SIGKILL');
});
