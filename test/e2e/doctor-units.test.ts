// doctor and the OS's own services (issue 14, item 4): a systemd unit whose ExecStart names a
// port that another process holds is listed, with `berth export` as the lasting fix, when its
// restart budget gives up; a unit that never gives up, or whose port is free, is not. The unit
// files come from a fixture directory (BERTH_SYSTEM_UNIT_DIRS): this machine has no systemd.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { tempHome } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { start } from '../helpers/procs.ts';
import type { Finding } from '../helpers/doctor.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));

test('doctor lists a unit whose squatted port will make systemd give up, and only that one', async (t) => {
  const { home, env } = tempHome(t);
  const squatter = start(t, process.execPath, [LISTEN, '--host', '127.0.0.1'], { env });
  const port = Number((await squatter.line(/listening (\d+)/))[1]);
  const idle = await freePort();
  const units = join(home, '..', 'units');
  const user = join(home, '..', 'user-units');
  mkdirSync(units);
  mkdirSync(user);
  writeFileSync(join(units, 'sms-webhook.service'), `[Unit]\nStartLimitBurst=3\n[Service]\nExecStart=/usr/bin/python3 /srv/webhook.py --port ${port}\nRestart=on-failure\n`);
  writeFileSync(join(units, 'forever.service'), `[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/usr/bin/app --port=${port}\nRestart=always\n`);
  writeFileSync(join(units, 'idle.service'), `[Service]\nExecStart=/usr/bin/app --port ${idle}\nRestart=on-failure\n`);
  writeFileSync(join(user, 'dev.service'), `[Service]\nEnvironment=PORT=${port}\nExecStart=/usr/bin/app\n`);
  const unitEnv = { ...env, BERTH_SYSTEM_UNIT_DIRS: units, BERTH_USER_UNIT_DIRS: user };

  const r = await berth(['doctor', '--json'], { env: unitEnv, cwd: home.replace(/\/home$/, '') });
  assert.equal(r.code, 0, `a unit at risk is a warning, not a conflict berth refused:\n${r}`);
  const found = (r.json().findings as Finding[]).filter((f) => f.kind === 'unit_start_limit');
  assert.deepEqual(found.map((f) => f.subject).sort(), ['dev.service (user)', 'sms-webhook.service (system)'], r.toString());
  const sms = found.find((f) => f.subject.startsWith('sms-webhook'))!;
  assert.equal(sms.severity, 'warning');
  assert.match(sms.message, new RegExp(`port ${port}.*pid ${squatter.pid}.*listen\\.mjs.*gives up after 3 failed starts`));
  assert.match(sms.fix!, new RegExp(`^berth free ${port}; .*berth export systemd sms-webhook$`));
  assert.match(found.find((f) => f.subject.startsWith('dev'))!.message, /Restart=no/);

  const text = await berth(['doctor'], { env: unitEnv, cwd: home.replace(/\/home$/, '') });
  assert.match(text.stdout, new RegExp(`WARNING sms-webhook\\.service \\(system\\) is configured to listen on port ${port}`), text.toString());
  assert.match(text.stdout, /fix: berth free \d+; .*berth export systemd sms-webhook/);

  // without the variables, on a machine without systemd, there are no units
  const none = await berth(['doctor', '--json'], { env, cwd: home.replace(/\/home$/, '') });
  assert.equal((none.json().findings as Finding[]).filter((f) => f.kind === 'unit_start_limit' && f.message.includes(String(port))).length, 0, none.toString());
});
