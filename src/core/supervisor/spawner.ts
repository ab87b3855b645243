// Spawning one instance of a service: its environment (with the BERTH_INSTANCE marker that
// later proves which processes are its own, decision 0009), its private TMPDIR, its log as
// stdout and stderr, its own session. Kept apart from the supervisor's rules: this is the one
// place a service's process comes into being (the shell reaches it through deps.ts's Spawner).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync } from 'node:fs';
import { expandPort } from './health.ts';
import { openLog } from './logs.ts';
import { INSTANCE_ENV } from './process-tree.ts';
import type { ServiceSpec } from './spec.ts';
import { ensureServiceTmp } from './tmpdir.ts';

/**
 * Spawns the service's command; the caller awaits the spawn (awaitSpawn) and watches the child.
 * inheritFds (the sockets of its slots, service-slots.ts) become the child's fds 3, 4, …
 */
export function spawnInstance(home: string, spec: ServiceSpec, env: Record<string, string>, port: number | null, restarts: number, notifySocket?: string, inheritFds: number[] = []): { child: ChildProcess; marker: string } {
  const name = spec.name;
  const marker = randomUUID();
  const tmp = ensureServiceTmp(home, name);
  const childEnv: Record<string, string> = {
    ...env,
    ...spec.env,
    BERTH_SERVICE: name,
    BERTH_HOME: home,
    // every process of this instance inherits it: the proof that berth may stop it later
    [INSTANCE_ENV]: marker,
    TMPDIR: tmp,
    ...(port !== null ? { PORT: String(port) } : {}),
    // sd_notify: READY=1, WATCHDOG=1, STATUS=… (a caller's own NOTIFY_SOCKET, systemd's, never leaks in)
    ...(notifySocket !== undefined ? { NOTIFY_SOCKET: notifySocket } : {}),
  };
  if (notifySocket === undefined) delete childEnv.NOTIFY_SOCKET;
  // berth's own timing switches (src/core/profile.ts) are for the call that set them, not for a service's berth calls
  delete childEnv.BERTH_PROFILE;
  delete childEnv.BERTH_PROFILE_DAEMON;
  const fd = openLog(home, name, `${restarts > 0 ? `restart ${restarts} of` : 'starting'} ${name}: ${spec.argv.join(' ')}`);
  try {
    // detached: its own session and process group, so it outlives the daemon and can be
    // stopped as a group. Its output goes straight to the log file.
    // $PORT in the arguments is the service's port, so that `-- server --port '$PORT'` works without a shell.
    const argv = spec.argv.map((a) => expandPort(a, port));
    const child = spawn(argv[0]!, argv.slice(1), { cwd: spec.cwd, env: childEnv, detached: true, stdio: ['ignore', fd, fd, ...inheritFds] });
    return { child, marker };
  } finally {
    closeSync(fd);
  }
}
