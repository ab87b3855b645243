// A berth home with a daemon. After the test, in this order: every service is removed, the
// daemon is stopped, any process still running with this BERTH_HOME in its environment (this
// test's services and daemons only) is stopped by pid (TERM, then KILL), and the home is
// deleted: deleting it first would let the clean-up itself start a new daemon there.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { berth } from './cli.ts';
import { homeEnv } from './home.ts';
import { stopAll, stopPid } from './procs.ts';

export function pidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') out.push(Number(name));
    } catch {
      // gone or unreadable
    }
  }
  return out;
}

/** homeName: the home's directory in the temp dir (a long one makes a home too long for a Unix socket). */
export function daemonHome(t: TestContext, homeName = 'home'): { home: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  const home = join(dir, homeName);
  const env = homeEnv(home);
  t.after(async () => {
    const ps = await berth(['ps', '--all', '--json'], { env, timeoutMs: 20_000 }).catch(() => undefined);
    const names: string[] = ps && ps.code === 0 ? ps.json().services.map((s: { name: string }) => s.name) : [];
    await Promise.all(names.map((n) => berth(['rm', n, '--force', '--grace', '2s'], { env, timeoutMs: 20_000 }).catch(() => undefined)));
    await berth(['daemon', 'stop'], { env, timeoutMs: 10_000 }).catch(() => undefined);
    await stopAll(t);
    await Promise.all(pidsWithEnv(`BERTH_HOME=${home}`).map((pid) => stopPid(pid, 2000)));
    rmSync(dir, { recursive: true, force: true });
  });
  return { home, env };
}
