// The NOTIFY_SOCKET's path in the home, when the home is odd (decision 0024): something that is
// not a socket at notify.sock (a directory someone made) must not stop the daemon, which then
// runs without a NOTIFY_SOCKET. (A home too long for sun_path: test/adversarial/socket-path.test.ts.)
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { waitForFile } from '../helpers/wait.ts';

test('a directory named notify.sock in the home: the daemon runs, its services get no NOTIFY_SOCKET', { timeout: 40_000 }, async (t) => {
  const { home, env } = daemonHome(t);
  mkdirSync(join(home, 'notify.sock'), { recursive: true, mode: 0o700 });
  const out = join(home, '..', 'seen');
  ok(await berth(['run', 'plain', '--no-wait', '--', 'sh', '-c', `printf %s "\${NOTIFY_SOCKET-none}" > ${out}; exec sleep 30`], { env }));
  const seen = await waitForFile(out, 'the service writing its NOTIFY_SOCKET');
  assert.equal(seen, 'none');
  // the daemon is still up, and the directory was left alone
  ok(await berth(['ps', '--json'], { env }));
  assert.ok(readdirSync(home).includes('notify.sock'));
});
