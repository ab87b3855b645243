// berth export: systemd units verified by systemd-analyze (when it is installed) and launchd
// plists parsed by python's plistlib.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { hasCommand } from '../helpers/procs.ts';

const node = process.execPath;

async function project(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; hookPort: number }> {
  const dir = tempDir(t);
  const hookPort = await freePort();
  writeFileSync(
    join(dir, 'berth.yaml'),
    `services:
  web:
    run: ${node} -e "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT)"
    port: auto
    depends_on: [webhook]
  webhook:
    run: [${node}, server.js, --port, $PORT]
    port: ${hookPort}
    on_conflict: evict
    restart: always
    purpose: "webhook receiver, 100% up"
  worker:
    run: sh -c 'echo "a b" && sleep 100'
    locks: [data.db]
    restart: never
    env: { MODE: "x y" }
`,
  );
  return { dir, hookPort };
}

test('export systemd: a unit per service, the evict drop-in only for evict services, clean under systemd-analyze verify', async (t) => {
  const { env } = tempHome(t);
  const { dir, hookPort } = await project(t);
  const out = join(dir, 'units');
  const r = await berth(['export', 'systemd', '--out', out, '--json'], { env, cwd: dir });
  assert.equal(r.code, 0, r.toString());
  const paths = r.json().files.map((f: { path: string }) => f.path).sort();
  // a unit is named after the full name (project/service), the '/' made a '-': two projects' web do not collide
  const p = basename(dir);
  const [webUnit, hookUnit, workerUnit] = [`berth-${p}-web.service`, `berth-${p}-webhook.service`, `berth-${p}-worker.service`];
  assert.deepEqual(paths, [webUnit, hookUnit, `${hookUnit}.d/10-berth-free-port.conf`, workerUnit]);
  const hook = readFileSync(join(out, hookUnit), 'utf8');
  assert.match(hook, /^StartLimitIntervalSec=0$/m);
  assert.match(hook, /^Restart=always$/m);
  assert.match(hook, new RegExp(`^Environment=PORT=${hookPort}$`, 'm'));
  assert.match(hook, /^Description=webhook receiver, 100%% up/m);
  assert.match(hook, new RegExp(`^Environment=BERTH_SERVICE=${p}/webhook$`, 'm'), 'BERTH_SERVICE is the full name, as under berth');
  const dropIn = readFileSync(join(out, `${hookUnit}.d/10-berth-free-port.conf`), 'utf8');
  assert.match(dropIn, new RegExp(`^ExecStartPre=.*main\\.js free ${hookPort} --force --quiet$`, 'm'));
  const web = readFileSync(join(out, webUnit), 'utf8');
  assert.match(web, new RegExp(`^After=network.target ${hookUnit}$`, 'm'));
  const lease = (await berth(['port', 'web'], { env, cwd: dir })).stdout.trim();
  assert.match(web, new RegExp(`^Environment=PORT=${lease}$`, 'm'), 'the sticky lease of berth port web in the same directory');
  assert.match(readFileSync(join(out, workerUnit), 'utf8'), /^Restart=no$/m);
  assert.ok(!existsSync(join(out, `${webUnit}.d`)) && !existsSync(join(out, `${workerUnit}.d`)));

  const user = await berth(['export', 'systemd', 'webhook', '--user', '--json'], { env, cwd: dir });
  assert.match(user.json().files[0].content, /^WantedBy=default\.target$/m);

  if (!hasCommand('systemd-analyze')) {
    t.diagnostic('systemd-analyze not installed: verify skipped');
    return;
  }
  writeFileSync(join(dir, 'server.js'), '');
  for (const unit of [webUnit, hookUnit, workerUnit]) {
    const v = spawnSync('systemd-analyze', ['verify', join(out, unit)], { encoding: 'utf8', cwd: out });
    assert.equal(v.status, 0, `${unit}: ${v.stderr}`);
    assert.equal(v.stderr.trim(), '', `${unit} has warnings:\n${v.stderr}`);
  }
});

test('export launchd: plists with KeepAlive SuccessfulExit=false, ThrottleInterval, logs, environment', { skip: !hasCommand('python3') && 'python3 not installed' }, async (t) => {
  const { env, home } = tempHome(t);
  const { dir, hookPort } = await project(t);
  const out = join(dir, 'plists');
  const r = await berth(['export', 'launchd', '--out', out], { env, cwd: dir });
  assert.equal(r.code, 0, r.toString());
  const parse = (name: string): any =>
    JSON.parse(execFileSync('python3', ['-c', 'import plistlib,json,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', join(out, name)], { encoding: 'utf8' }));
  const p = basename(dir);
  const hook = parse(`com.berth.${p}.webhook.plist`);
  assert.equal(hook.Label, `com.berth.${p}.webhook`, 'the full name, its / made a .');
  assert.deepEqual(hook.KeepAlive, { SuccessfulExit: false });
  assert.equal(hook.ThrottleInterval, 5);
  assert.equal(hook.RunAtLoad, true);
  assert.equal(hook.EnvironmentVariables.PORT, String(hookPort));
  assert.equal(hook.StandardOutPath, join(home, 'logs', p, 'webhook.log'), 'the log berth logs reads');
  assert.equal(hook.EnvironmentVariables.BERTH_SERVICE, `${p}/webhook`);
  assert.equal(hook.ProgramArguments[0], '/bin/sh', 'evict: berth free runs first');
  // the script is a constant; the berth CLI (absolute node and script), the port and the argv are its parameters
  assert.equal(hook.ProgramArguments[2], '"${1}" "${2}" free "${3}" --force --quiet || exit $?; shift 3; exec "$@"');
  assert.ok(hook.ProgramArguments[4].startsWith('/') && hook.ProgramArguments[5].startsWith('/'), 'absolute node and berth paths');
  assert.equal(hook.ProgramArguments[6], String(hookPort));
  assert.match(hook.ProgramArguments.slice(7).join(' '), new RegExp(`server\\.js --port ${hookPort}$`));
  const worker = parse(`com.berth.${p}.worker.plist`);
  assert.equal(worker.KeepAlive, false, 'restart: never');
  assert.deepEqual(worker.ProgramArguments.slice(1), ['-c', 'echo "a b" && sleep 100']);
  assert.match(worker.ProgramArguments[0], /^\/.*\/sh$/, 'an absolute program path');
  assert.equal(worker.EnvironmentVariables.MODE, 'x y');
  assert.equal(worker.WorkingDirectory, dir);
});

test('export: health: notify and watchdog: become Type=notify and WatchdogSec= for systemd; launchd says it has neither', async (t) => {
  const { env } = tempHome(t);
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'berth.yaml'),
    `services:
  ready:
    run: python3 worker.py
    health: notify
    watchdog: 30s
  beats:
    run: python3 beats.py
    watchdog: 1500ms
  plain:
    run: sleep 100
`,
  );
  const p = basename(dir);
  const out = join(dir, 'units');
  ok(await berth(['export', 'systemd', '--out', out], { env, cwd: dir }));
  const unit = (name: string): string => readFileSync(join(out, `berth-${p}-${name}.service`), 'utf8');
  const ready = unit('ready');
  assert.match(ready, /^Type=notify$/m, 'READY=1 is what makes it started');
  assert.match(ready, /^NotifyAccess=all$/m, 'any process of its tree may speak for it, as under berth');
  assert.match(ready, /^WatchdogSec=30s$/m);
  const beats = unit('beats');
  assert.match(beats, /^Type=simple$/m, 'a watchdog alone does not wait for READY=1');
  assert.match(beats, /^WatchdogSec=1500ms$/m);
  assert.match(beats, /^NotifyAccess=all$/m);
  const plain = unit('plain');
  assert.match(plain, /^Type=simple$/m);
  assert.doesNotMatch(plain, /WatchdogSec|NotifyAccess/);
  if (hasCommand('systemd-analyze')) {
    for (const name of ['ready', 'beats']) {
      const v = spawnSync('systemd-analyze', ['verify', join(out, `berth-${p}-${name}.service`)], { encoding: 'utf8', cwd: out });
      assert.equal(v.status, 0, `${name}: ${v.stderr}`);
      assert.equal(v.stderr.trim(), '', `${name} has warnings:\n${v.stderr}`);
    }
  } else t.diagnostic('systemd-analyze not installed: verify skipped');

  const plists = join(dir, 'plists');
  ok(await berth(['export', 'launchd', '--out', plists], { env, cwd: dir }));
  const plist = (name: string): string => readFileSync(join(plists, `com.berth.${p}.${name}.plist`), 'utf8');
  assert.match(plist('ready'), /<!-- launchd has no equivalent of health: notify \(READY=1\) or watchdog \(WATCHDOG=1\): not kept here/);
  assert.match(plist('beats'), /<!-- launchd has no equivalent of watchdog \(WATCHDOG=1\)/);
  assert.doesNotMatch(plist('plain'), /<!--/);
  if (hasCommand('python3')) {
    // still a valid property list
    const parsed = execFileSync('python3', ['-c', 'import plistlib,sys; print(plistlib.load(open(sys.argv[1],"rb"))["Label"])', join(plists, `com.berth.${p}.ready.plist`)], { encoding: 'utf8' });
    assert.equal(parsed.trim(), `com.berth.${p}.ready`);
  }
});

test('export: argv[0] becomes an absolute path: ./script against the cwd, a bare name in the PATH berth runs with; a missing one is an error', async (t) => {
  const { env } = tempHome(t);
  const dir = tempDir(t);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // a tool only on the service's own PATH (env:), not on systemd's
  writeFileSync(join(bin, 'mytool'), '#!/bin/sh\nsleep 100\n', { mode: 0o755 });
  writeFileSync(join(dir, 'worker.sh'), '#!/bin/sh\nsleep 100\n', { mode: 0o755 });
  writeFileSync(
    join(dir, 'berth.yaml'),
    `services:
  script:
    run: ./worker.sh --once
  tool:
    run: mytool -v
    env: { PATH: "${bin}:/usr/bin:/bin" }
  shell:
    run: sh -c 'sleep 100'
`,
  );
  const p = basename(dir);
  const out = join(dir, 'units');
  ok(await berth(['export', 'systemd', '--out', out], { env, cwd: dir }));
  const unit = (name: string): string => readFileSync(join(out, `berth-${p}-${name}.service`), 'utf8');
  assert.match(unit('script'), new RegExp(`^ExecStart=${join(dir, 'worker.sh')} --once$`, 'm'), 'systemd refuses a relative ExecStart');
  assert.match(unit('tool'), new RegExp(`^ExecStart=${join(bin, 'mytool')} -v$`, 'm'), "found in the service's PATH");
  assert.match(unit('shell'), /^ExecStart=\/\S*\/sh -c "sleep 100"$/m, "a bare name found in the caller's PATH");
  if (hasCommand('systemd-analyze')) {
    for (const name of ['script', 'tool', 'shell']) {
      const v = spawnSync('systemd-analyze', ['verify', join(out, `berth-${p}-${name}.service`)], { encoding: 'utf8', cwd: out });
      assert.equal(v.status, 0, `${name}: ${v.stderr}`);
    }
  } else t.diagnostic('systemd-analyze not installed: verify skipped');

  const plists = join(dir, 'plists');
  ok(await berth(['export', 'launchd', 'script', '--out', plists], { env, cwd: dir }));
  assert.match(readFileSync(join(plists, `com.berth.${p}.script.plist`), 'utf8'), new RegExp(`<string>${join(dir, 'worker.sh')}</string>`));

  writeFileSync(join(dir, 'berth.yaml'), 'services:\n  ghost:\n    run: no-such-tool-berth --x\n');
  const r = await berth(['export', 'systemd', '--json'], { env, cwd: dir });
  assert.equal(r.code, 4, r.toString());
  assert.equal(r.json().error.code, 'not_found');
  assert.match(r.json().error.message, /no-such-tool-berth/);
});
