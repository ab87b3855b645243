// Every test gets its own BERTH_HOME, removed afterwards, and a port range of its own.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { stopAll } from './procs.ts';

export function tempDir(t: TestContext, prefix = 'berth-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(async () => {
    await stopAll(t);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A fresh berth home and the environment that points berth at it. */
export function tempHome(t: TestContext): { home: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  return { home, env: homeEnv(home) };
}

/**
 * The environment of a test's berth: the runner's (so a run's BERTH_INSPECT and BERTH_LOCKS
 * reach every berth), this home, and a port range of its own. Test files run concurrently, each
 * with its own home, and berth hands a name the first free port from a hash of the name: two
 * homes running "web" at once would both lease the same port and one service would fail to
 * bind. A window at a random place in berth's default range (20000-29999) keeps them apart.
 */
export function homeEnv(home: string): NodeJS.ProcessEnv {
  const low = 20000 + randomInt(0, 9000);
  return { BERTH_PORT_RANGE: `${low}-${low + 999}`, ...process.env, BERTH_HOME: home, BERTH_SESSION: `test-${process.pid}` };
}
