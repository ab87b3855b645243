// systemd units from the outside: a holder's service read from a fixture /proc tree (this
// machine's own systemd may be absent), and unit files parsed for their listen port and restart
// budget (decision 0022).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { readProcessUnit } from '../../src/core/inspect/proc/cgroup.ts';
import { givesUp, listenPorts, listUnitFiles, parseCgroupUnit, parseTimeSpanMs, unitDirsFromEnv } from '../../src/core/inspect/units.ts';

function fixtureDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-units-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the service of a process is read from its cgroup in a fixture /proc tree', (t) => {
  const proc = fixtureDir(t);
  const cgroups: Record<number, string> = {
    101: '0::/system.slice/sms-webhook.service\n',
    102: '0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n',
    103: '0::/user.slice/user-1000.slice/session-3.scope\n',
    104: '0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-terminal-1234.scope\n',
    105: '12:pids:/system.slice/legacy.service\n1:name=systemd:/system.slice/legacy.service\n0::/\n',
    106: '0::/\n',
    107: '0::/system.slice/docker.service/delegated/payload\n',
    108: '0::/user.slice/user-1000.slice/user@1000.service/init.scope\n',
  };
  for (const [pid, text] of Object.entries(cgroups)) {
    mkdirSync(join(proc, pid));
    writeFileSync(join(proc, pid, 'cgroup'), text);
  }
  assert.deepEqual(readProcessUnit(101, proc), { name: 'sms-webhook.service', manager: 'system' });
  assert.deepEqual(readProcessUnit(102, proc), { name: 'foo.service', manager: 'user' });
  assert.equal(readProcessUnit(103, proc), null, 'a login session scope is not named');
  assert.equal(readProcessUnit(104, proc), null, "a terminal's scope is not named, nor the user manager above it");
  assert.deepEqual(readProcessUnit(105, proc), { name: 'legacy.service', manager: 'system' }, 'cgroup v1: the name=systemd line');
  assert.equal(readProcessUnit(106, proc), null, 'no systemd');
  assert.deepEqual(readProcessUnit(107, proc), { name: 'docker.service', manager: 'system' }, 'a sub-cgroup a service delegated');
  assert.equal(readProcessUnit(108, proc), null, "the user manager's own process");
  assert.equal(readProcessUnit(999, proc), null, 'a process that is gone');
});

test('a cgroup name that is not a unit name, or a huge or odd cgroup file, names no unit', (t) => {
  assert.equal(parseCgroupUnit('0::/system.slice/evil name\u001b[31m.service\n'), null);
  const proc = fixtureDir(t);
  mkdirSync(join(proc, '7'));
  symlinkSync('/dev/zero', join(proc, '7', 'cgroup'));
  assert.equal(readProcessUnit(7, proc), null, 'a device is not read');
  mkdirSync(join(proc, '8'));
  writeFileSync(join(proc, '8', 'cgroup'), `0::/system.slice/big.service\n${'x'.repeat(100_000)}`);
  assert.equal(readProcessUnit(8, proc), null, 'more than the bound is not read');
});

test("this process's own cgroup is read without error", () => {
  const unit = readProcessUnit(process.pid);
  assert.ok(unit === null || unit.name.endsWith('.service'));
});

test('listen ports come from listen flags and PORT variables, not from addresses a command connects to', () => {
  assert.deepEqual(listenPorts(['/usr/bin/python3 /srv/webhook.py --port 8765'], []), [8765]);
  assert.deepEqual(listenPorts(['-/usr/bin/app --port=9000 --http-port 9001'], []), [9000, 9001]);
  assert.deepEqual(listenPorts(['gunicorn -b 0.0.0.0:8000 app:app', 'prometheus --web.listen-address=:9090'], []), [8000, 9090]);
  assert.deepEqual(listenPorts(['server --listen "[::]:7000"'], []), [7000]);
  assert.deepEqual(listenPorts(['worker --db postgres://localhost:5432/x --redis localhost:6379'], []), []);
  assert.deepEqual(listenPorts(['app'], ['PORT=3000 "HTTP_PORT=3001" MODE=x', 'DB_HOST=localhost:5432']), [3000, 3001]);
  assert.deepEqual(listenPorts(['app --port 70000 --port abc'], []), [], 'not a port');
});

test('systemd time spans', () => {
  assert.equal(parseTimeSpanMs('10'), 10_000);
  assert.equal(parseTimeSpanMs('10s'), 10_000);
  assert.equal(parseTimeSpanMs('1min 30s'), 90_000);
  assert.equal(parseTimeSpanMs('500ms'), 500);
  assert.equal(parseTimeSpanMs('0'), 0);
  assert.equal(parseTimeSpanMs('infinity'), Infinity);
  assert.equal(parseTimeSpanMs('ten'), undefined);
});

test('unit files: ExecStart with a port, StartLimitBurst, drop-ins, and what is not read', (t) => {
  const dir = fixtureDir(t);
  writeFileSync(
    join(dir, 'sms-webhook.service'),
    [
      '[Unit]',
      'Description=SMS webhook',
      'StartLimitBurst=3',
      'StartLimitIntervalSec=1min',
      '# a comment: --port 1',
      '[Service]',
      'ExecStart=/usr/bin/python3 /srv/webhook.py \\',
      '    --port 8765',
      'Restart=on-failure',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'forever.service'), '[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/usr/bin/app --port 9100\nRestart=always\n');
  writeFileSync(join(dir, 'defaults.service'), '[Service]\nEnvironment=PORT=9200\nExecStart=/usr/bin/app\nRestart=always\n');
  writeFileSync(join(dir, 'once.service'), '[Service]\nExecStart=/usr/bin/app --port 9300\n');
  // a drop-in replaces ExecStart (empty resets) and lifts the start limit
  writeFileSync(join(dir, 'patched.service'), '[Unit]\nStartLimitBurst=2\n[Service]\nExecStart=/usr/bin/app --port 9400\nRestart=always\n');
  mkdirSync(join(dir, 'patched.service.d'));
  writeFileSync(join(dir, 'patched.service.d', '10-port.conf'), '[Service]\nExecStart=\nExecStart=/usr/bin/app --port 9401\n');
  writeFileSync(join(dir, 'patched.service.d', '20-limit.conf'), '[Unit]\nStartLimitBurst=0\n');
  writeFileSync(join(dir, 'tmpl@.service'), '[Service]\nExecStart=/usr/bin/app --port %i\n');
  writeFileSync(join(dir, 'timer.timer'), '[Timer]\nOnCalendar=daily\n');
  symlinkSync('/dev/null', join(dir, 'masked.service'));
  mkdirSync(join(dir, 'multi-user.target.wants'));

  const units = listUnitFiles({ system: [dir], user: [] });
  const byName = Object.fromEntries(units.map((u) => [u.name, u]));
  assert.deepEqual(Object.keys(byName).sort(), ['defaults.service', 'forever.service', 'once.service', 'patched.service', 'sms-webhook.service']);
  const sms = byName['sms-webhook.service']!;
  assert.deepEqual([sms.manager, sms.ports, sms.restart, sms.startLimitBurst, sms.startLimitIntervalMs], ['system', [8765], 'on-failure', 3, 60_000]);
  assert.equal(givesUp(sms), true);
  assert.equal(givesUp(byName['forever.service']!), false, 'StartLimitIntervalSec=0: never gives up');
  const defaults = byName['defaults.service']!;
  assert.deepEqual([defaults.ports, defaults.startLimitBurst, defaults.startLimitIntervalMs, givesUp(defaults)], [[9200], 5, 10_000, true], "systemd's defaults: 5 starts in 10 s");
  assert.deepEqual([byName['once.service']!.restart, givesUp(byName['once.service']!)], ['no', true], 'Restart=no stays down after one failure');
  const patched = byName['patched.service']!;
  assert.deepEqual([patched.ports, patched.startLimitBurst, givesUp(patched)], [[9401], 0, false]);
  assert.deepEqual(listUnitFiles({ system: [join(dir, 'missing')], user: [] }), [], 'a missing directory: no units');
});

test('unit directories come from BERTH_SYSTEM_UNIT_DIRS and BERTH_USER_UNIT_DIRS only when set', () => {
  assert.equal(unitDirsFromEnv({}), null);
  assert.deepEqual(unitDirsFromEnv({ BERTH_SYSTEM_UNIT_DIRS: '/a:/b' }), { system: ['/a', '/b'], user: [] });
  assert.deepEqual(unitDirsFromEnv({ BERTH_USER_UNIT_DIRS: '/u' }), { system: [], user: ['/u'] });
});
