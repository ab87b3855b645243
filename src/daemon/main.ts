#!/usr/bin/env node
// berthd: the one daemon of a berth home. It is the composition root: it takes the home's
// singleton lock (a flock on berthd.lock, and on Linux an abstract socket too: the kernel
// releases both when the daemon dies; src/core/locks/daemon-lock.ts), opens the
// registry, adopts the services a previous daemon left running, and serves the API on
// $BERTH_HOME/berthd.sock (0600, in a 0700 directory; /tmp/berth-UID/HASH.berthd.sock when the
// home's path is too long for a Unix socket).
import '../core/node-warnings.ts';
import { chmodSync, rmSync } from 'node:fs';
import { buildId, packageVersion } from '../core/package.ts';
import { ensureHome, registryPath as registryPathOf } from '../core/home.ts';
import { daemonLockHolder, takeDaemonLock } from '../core/locks/daemon-lock.ts';
import { Registry } from '../core/registry/registry.ts';
import { Supervisor } from '../core/supervisor/supervisor.ts';
import { daemonSocketPlace, resolveSettings } from '../core/settings.ts';
import { createApiServer } from './server.ts';
import { notifyAddress } from '../core/supervisor/notify.ts';
import { ensureSocketDir } from '../core/socket-path.ts';
import { openNotifySocket } from './notify-socket.ts';
import { declareDaemonProcess } from '../core/signal.ts';
import { dashboardDoor } from './dashboard-route.ts';
import { mark, markProcessStart } from '../core/profile.ts';

const REGISTRY_CHECK_MS = 1_000;

async function main(): Promise<number> {
  markProcessStart('daemon');
  mark('daemon-main');
  declareDaemonProcess();
  // resolved once, here, and passed down: the socket, the logs, the lease range, the log cap
  const settings = resolveSettings();
  const { home } = settings;
  // Created 0700 if missing; an existing home is checked, never chmod'ed (it may be shared).
  ensureHome(home);
  // A home too long for sun_path binds its sockets under /tmp/berth-UID (0700, ours, no symlink):
  // Node would bind a longer path truncated, a stray socket beside the home (socket-path.ts).
  const sockPlace = daemonSocketPlace(home);
  ensureSocketDir(sockPlace);
  const held = await takeDaemonLock(home);
  if (!held) {
    const pid = daemonLockHolder(home);
    process.stdout.write(`berthd already running${pid ? ` (pid ${pid})` : ''} for ${home}\n`);
    return 0;
  }
  const version = packageVersion();
  const registry = Registry.open(home);
  mark('daemon-registry');
  // sd_notify from the services: only datagrams the kernel says come from this user, and (in
  // the supervisor) only from a process of the service's own instance tree
  let supervisor: Supervisor | null = null;
  const uid = process.getuid?.() ?? -1;
  const notifyPlace = notifyAddress(home);
  ensureSocketDir(notifyPlace);
  const notify = openNotifySocket(notifyPlace.path, (batch) => {
    if (supervisor === null) return;
    const ours = batch.filter((d) => d.sender.uid === uid).map((d) => ({ pid: d.sender.pid, text: d.text }));
    if (ours.length > 0) void supervisor.notifyBatch(ours).catch(() => {});
  });
  supervisor = new Supervisor({
    home,
    registry,
    version,
    range: settings.portRange,
    logMaxBytes: settings.logMaxBytes,
    ...(notify ? { notifySocket: notify.address, flushNotify: () => notify.flush() } : {}),
  });
  const sock = settings.socketPath;
  // We hold the singleton lock, so a socket file here is a dead daemon's: safe to remove.
  rmSync(sock, { force: true });
  let stopping = false;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (resolveDone = r));
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    supervisor.close();
    dashboard.close();
    notify?.close();
    server.close();
    server.closeAllConnections();
    rmSync(sock, { force: true });
    registry.close();
    void held.close().then(() => resolveDone(0));
  };
  const dashboard = dashboardDoor({ api: supervisor, registry, settings });
  const server = createApiServer({ api: supervisor, registry, settings, onShutdown: shutdown, build: buildId(), openDashboard: (who) => dashboard.open(who) });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  chmodSync(sock, 0o600);
  mark('daemon-listening');
  await supervisor.adoptAll();
  mark('daemon-adopted');
  // Someone may remove or overwrite berth.db while we run: put it back from our connection,
  // or, if it was corrupted in place, stop (services keep running; the CLI then reports the
  // corrupt registry with its recovery).
  const watchdog = setInterval(() => {
    if (stopping) return;
    try {
      const state = registry.checkFile();
      if (state === 'restored') process.stderr.write(`berthd: ${registryPathOf(home)} was removed or replaced; restored it from the open registry\n`);
      if (state === 'corrupt') {
        process.stderr.write(`berthd: ${registryPathOf(home)} was corrupted in place; stopping the daemon (services keep running)\n`);
        shutdown();
      }
    } catch (err) {
      process.stderr.write(`berthd: registry check failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }, REGISTRY_CHECK_MS);
  watchdog.unref();
  process.stdout.write(`berthd ${version} (pid ${process.pid}) serving ${sock}\n`);
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return done;
}

// No top-level await: the daemon is bundled as CommonJS (scripts/bundle.mjs, decision 0031).
// Exit explicitly: the handles of services we spawned must not keep the daemon alive.
void main()
  .catch((err: unknown) => {
    process.stderr.write(`berthd: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  })
  .then((code) => process.exit(code));
