// How a caller starts berthd on demand without becoming its ancestor. A verb run inside a
// service (the library's beat(), `berth ps` in a service's script) would otherwise make the daemon
// a child of the service: a process of its instance tree, carrying its BERTH_INSTANCE marker, its
// TMPDIR and NOTIFY_SOCKET, which `berth stop` of that service then must spare (the leader is an
// ancestor of the daemon) while the worker runs on unsupervised. So the daemon is started through
// a short-lived intermediate that spawns it detached and exits at once (a double fork: the daemon
// is re-parented to init or the nearest subreaper), with the service's variables removed. The
// intermediate also closes the inherited descriptors that are not close-on-exec (a shell's stray
// pipe): libuv passes those on to every child, and the daemon would hand them to every service.
//
// Loaded by the client only when no daemon answers: a call to a running daemon needs none of it.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ensureHome } from '../core/home.ts';
import { DAEMON_LOG_FILE } from '../core/settings.ts';
import { openLogFile } from '../core/supervisor/logs.ts';
import { chooseBackend, strayFdCloser } from '../core/inspect/select.ts';
import { INSTANCE_ENV } from '../core/supervisor/process-tree.ts';

/** The variables berth gives a service that must not reach a daemon started from inside one. */
const SERVICE_VARIABLES = [INSTANCE_ENV, 'BERTH_SERVICE', 'NOTIFY_SOCKET'];

/**
 * The caller's environment for the daemon: BERTH_HOME set, a service's own variables removed,
 * and the inspection backend the caller uses (BERTH_INSPECT) named, so that the daemon judges
 * processes as its clients do (docs/decisions/0027-inspection-backends.md). BERTH_LOCKS passes
 * through with the rest of the environment.
 */
export function daemonEnvironment(env: NodeJS.ProcessEnv, home: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, BERTH_HOME: home, BERTH_INSPECT: chooseBackend(env) };
  for (const name of SERVICE_VARIABLES) delete out[name];
  // one profiled call must not leave a daemon marking every health check for as long as it runs:
  // the daemon profiles only when asked by name (bench/recovery.mjs)
  if (out['BERTH_PROFILE_DAEMON'] !== '1') delete out['BERTH_PROFILE'];
  // the private TMPDIR berth made for a service (tmpdir.ts) is removed when that service stops
  const tmp = out['TMPDIR'];
  if (tmp !== undefined && (tmp + sep).startsWith(join(home, 'tmp') + sep)) delete out['TMPDIR'];
  return out;
}

// The intermediate (CommonJS, run by `node -e`; argv[1] is the daemon's entry). It closes the
// stray descriptors where the inspection backend can tell them (strayFdCloser: /proc on Linux),
// prints the daemon's pid on its stdout (a pipe to the caller) and exits.
const intermediate = (): string => `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
${strayFdCloser()}
const child = spawn(process.execPath, [process.argv[1]], { detached: true, stdio: ['ignore', 2, 2] });
child.on('error', () => process.exit(1));
if (child.pid !== undefined) {
  process.stdout.write(String(child.pid));
  child.unref();
}
`;

/**
 * Starts berthd for `home` through the intermediate, its output on `logFd`; resolves to the
 * daemon's pid, or undefined if it could not be spawned (its log says why).
 */
export function launchDaemon(daemonMain: string, home: string, logFd: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['-e', intermediate(), daemonMain], {
        detached: true,
        stdio: ['ignore', 'pipe', logFd],
        cwd: home,
        env: daemonEnvironment(process.env, home),
      });
    } catch {
      resolve(undefined);
      return;
    }
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', () => resolve(undefined));
    child.once('close', () => {
      const pid = Number(out.trim());
      resolve(Number.isInteger(pid) && pid > 0 ? pid : undefined);
    });
  });
}

/** Starts berthd for `home` (made if needed), its output on its log: its pid, or undefined. */
export async function startDaemon(daemonMain: string, home: string): Promise<number | undefined> {
  ensureHome(home);
  const log = openLogFile(home, DAEMON_LOG_FILE);
  try {
    return await launchDaemon(daemonMain, home, log);
  } finally {
    closeSync(log);
  }
}
