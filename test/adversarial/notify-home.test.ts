// The NOTIFY_SOCKET's path in the home, when the home is odd (decision 0024): something that is
// not a socket at notify.sock (a directory someone made) must not stop the daemon, which then
// runs without a NOTIFY_SOCKET; a home too long for sun_path gets a clear error from the daemon,
// not a truncated socket bound beside the home, and no abstract-name fallback anyone could squat.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { notifyAddress } from '../../src/core/supervisor/notify.ts';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { waitFor } from '../helpers/wait.ts';

const DAEMON = fileURLToPath(new URL('../../dist/daemon/main.js', import.meta.url));

test('a directory named notify.sock in the home: the daemon runs, its services get no NOTIFY_SOCKET', { timeout: 40_000 }, async (t) => {
  const { home, env } = daemonHome(t);
  mkdirSync(join(home, 'notify.sock'), { recursive: true, mode: 0o700 });
  const out = join(home, '..', 'seen');
  ok(await berth(['run', 'plain', '--no-wait', '--', 'sh', '-c', `printf %s "\${NOTIFY_SOCKET-none}" > ${out}; exec sleep 30`], { env }));
  const seen = await waitFor(() => {
    try {
      return readFileSync(out, 'utf8') || undefined;
    } catch {
      return undefined;
    }
  }, { what: 'the service writing its NOTIFY_SOCKET' });
  assert.equal(seen, 'none');
  // the daemon is still up, and the directory was left alone
  ok(await berth(['ps', '--json'], { env }));
  assert.ok(readdirSync(home).includes('notify.sock'));
});

test('a home too long for sun_path: no abstract notify name, and the daemon says why instead of binding a truncated path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-long-'));
  try {
    const home = join(dir, 'h'.repeat(120 - dir.length));
    assert.equal(notifyAddress(home), null);
    assert.equal(notifyAddress(join(dir, 'home')), join(dir, 'home', 'notify.sock'));
    const r = spawnSync(process.execPath, [DAEMON], { env: { ...process.env, BERTH_HOME: home }, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /too long for a Unix socket/);
    // nothing was bound beside the home (a truncated berthd.sock path lands in its parent)
    assert.deepEqual(readdirSync(dir).filter((f) => !home.endsWith(f)), [], readdirSync(dir).join(', '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
