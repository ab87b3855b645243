// Issue 12, items 5 and 6: an edited berth.yaml is applied by `berth up` (exactly the changed
// services are recreated, ps and doctor mark them before), a same-session squatter on a
// declared port is a conflict, and `who` names the service holding a port or declared lock.
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

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const HOLD_SQLITE = fileURLToPath(new URL('../fixtures/hold-sqlite.mjs', import.meta.url));
const node = process.execPath;

interface Svc {
  name: string;
  pid: number | null;
  argv: string[];
  restartPolicy: string;
  onConflict: string;
  purpose: string | null;
  configFile: string | null;
  configChanged?: string[];
}

function yaml(services: Record<string, string[]>): string {
  return `services:\n${Object.entries(services).map(([name, lines]) => `  ${name}:\n${lines.map((l) => `    ${l}\n`).join('')}`).join('')}`;
}

const run = (extra = ''): string => `run: ["${node}", "${SERVICE}"${extra}]`;

test('berth up recreates exactly the services whose run:, restart:, on_conflict: or purpose: changed; ps and doctor mark them before', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const file = join(dir, 'berth.yaml');
  const base = { cmd: [run()], pol: [run(), 'restart: on-failure'], evict: [run(), 'on_conflict: refuse'], why: [run(), 'purpose: first'], same: [run()] };
  writeFileSync(file, yaml(base));
  const first = ok(await berth(['up', '--json'], { env, cwd: dir })).json();
  assert.deepEqual(first.services.map((r: { outcome: string }) => r.outcome), ['started', 'started', 'started', 'started', 'started']);
  const before = new Map<string, Svc>(ok(await berth(['ps', '--json'], { env })).json().services.map((s: Svc) => [s.name, s]));
  assert.equal(before.get('cmd')!.configFile, file);
  assert.equal(before.get('cmd')!.configChanged, undefined, 'nothing changed yet');

  writeFileSync(file, yaml({ cmd: [run(', "--v2"')], pol: [run(), 'restart: always'], evict: [run(), 'on_conflict: evict'], why: [run(), 'purpose: second'], same: [run()] }));
  const marked = new Map<string, Svc>(ok(await berth(['ps', '--json'], { env })).json().services.map((s: Svc) => [s.name, s]));
  assert.deepEqual(
    ['cmd', 'pol', 'evict', 'why', 'same'].map((n) => marked.get(n)!.configChanged),
    [['run'], ['restart'], ['on_conflict'], ['purpose'], undefined],
  );
  assert.match(ok(await berth(['ps'], { env })).stdout, /cmd: config changed: berth up applies it \(run changed/);
  const doctor = await berth(['doctor', '--json'], { env, cwd: dir });
  assert.equal(doctor.code, 0, `drift is a warning, not a conflict:\n${doctor}`);
  const drifted = doctor.json().findings.filter((f: { kind: string }) => f.kind === 'config_changed').map((f: { subject: string; fix: string }) => `${f.subject.replace(/^.*\//, '')}|${f.fix}`); // subjects are project/name
  assert.deepEqual(drifted.sort(), ['cmd|berth up cmd', 'evict|berth up evict', 'pol|berth up pol', 'why|berth up why']);

  const text = ok(await berth(['up'], { env, cwd: dir })).stdout;
  assert.match(text, /pol: recreated .*\(changed: restart\)/);
  assert.match(text, /same: already running/);
  const after = new Map<string, Svc>(ok(await berth(['ps', '--json'], { env })).json().services.map((s: Svc) => [s.name, s]));
  for (const n of ['cmd', 'pol', 'evict', 'why']) assert.notEqual(after.get(n)!.pid, before.get(n)!.pid, `${n} has a new process`);
  assert.equal(after.get('same')!.pid, before.get('same')!.pid, 'the unchanged service is left alone');
  assert.deepEqual(after.get('cmd')!.argv, [node, SERVICE, '--v2']);
  assert.equal(after.get('pol')!.restartPolicy, 'always');
  assert.equal(after.get('evict')!.onConflict, 'evict');
  assert.equal(after.get('why')!.purpose, 'second');
  assert.ok([...after.values()].every((s) => s.configChanged === undefined), 'no drift left');

  const again = ok(await berth(['up', '--json'], { env, cwd: dir })).json();
  assert.deepEqual(again.services.map((r: { outcome: string }) => r.outcome), ['already_running', 'already_running', 'already_running', 'already_running', 'already_running']);
  // the contract: recreated with the changed fields
  writeFileSync(file, yaml({ ...base, cmd: [run(', "--v3"'), 'purpose: third'] }));
  const one = ok(await berth(['up', 'cmd', '--json'], { env, cwd: dir })).json();
  assert.deepEqual([one.services[0].outcome, one.services[0].changed], ['recreated', ['run', 'purpose']]);
});

test('a squatter started from the same session as berth up on a declared port: doctor exits 3 naming it', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const port = await freePort();
  writeFileSync(join(dir, 'berth.yaml'), yaml({ web: [run(', "--http"'), `port: ${port}`] }));
  const squatter = start(t, node, [LISTEN, '--port', String(port)], { env, cwd: dir });
  await squatter.line(/listening/);
  const up = await berth(['up'], { env, cwd: dir });
  assert.equal(up.code, 3, `up refuses the squatter:\n${up}`);
  const doctor = await berth(['doctor', '--json'], { env, cwd: dir });
  assert.equal(doctor.code, 3, `doctor reports the conflict:\n${doctor}`);
  const errors = doctor.json().findings.filter((f: { severity: string }) => f.severity === 'error');
  assert.ok(errors.some((f: { message: string; fix: string }) => f.message.includes(`pid ${squatter.pid}`) && f.fix === `berth free ${port}`), JSON.stringify(errors));
});

test('who on a service\'s port and on its declared lock file names the service and its owner session', async (t) => {
  const { env } = daemonHome(t);
  ok(await berth(['daemon', 'start'], { env }));
  const owner = { ...env, BERTH_SESSION: `owner-${process.pid}` };
  const dir = tempDir(t);
  const db = join(dir, 'app.db');
  writeFileSync(join(dir, 'berth.yaml'), yaml({
    web: [run(', "--http"'), 'port: auto'],
    worker: [`run: ["${node}", "--disable-warning=ExperimentalWarning", "${HOLD_SQLITE}", "${db}"]`, 'locks: [app.db]'],
  }));
  const up = ok(await berth(['up', '--json'], { env: owner, cwd: dir })).json();
  const web = up.services.find((r: { service: Svc }) => r.service.name === 'web').service;
  const worker = up.services.find((r: { service: Svc }) => r.service.name === 'worker').service;
  const byPort = ok(await berth(['who', String(web.port), '--json'], { env })).json();
  assert.deepEqual(byPort.known[web.pid], [{ kind: 'service', name: `${web.project}/web` }]);
  assert.equal(byPort.owners[web.pid].session, owner.BERTH_SESSION);
  let byPath = ok(await berth(['who', db, '--json'], { env })).json();
  for (let i = 0; i < 50 && !byPath.known[worker.pid]; i++) byPath = ok(await berth(['who', db, '--json'], { env })).json();
  assert.deepEqual(byPath.known[worker.pid], [{ kind: 'service', name: `${worker.project}/worker`, declared: true }], JSON.stringify(byPath));
  assert.equal(byPath.owners[worker.pid].session, owner.BERTH_SESSION);
  assert.match(ok(await berth(['who', db], { env })).stdout, new RegExp(`pid ${worker.pid} is \\(part of\\) berth service "${worker.project}/worker", which declares this file under its locks:`));
});
