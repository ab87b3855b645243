// Every test gets its own BERTH_HOME, removed afterwards.
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
  return { home, env: { ...process.env, BERTH_HOME: home, BERTH_SESSION: `test-${process.pid}` } };
}
