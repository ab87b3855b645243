// `daemon start|stop|status`: berthd itself. The status is what an agent asks before wondering
// why a verb is slow (the first call starts the daemon).
import type { DaemonStatus } from '../core/supervisor/api.ts';
import { UsageError } from '../core/errors.ts';
import { daemonSocketPlace } from '../core/settings.ts';
import type { Session } from './session.ts';

/** Where the daemon's socket is, and whether that is the short fallback (the home's path is too long for one). */
export interface SocketWhere {
  socket: string;
  socketFallback: boolean;
}

export type DaemonStatusResult = ({ running: true } & DaemonStatus & SocketWhere) | ({ running: false; home: string } & SocketWhere);

export async function daemonStatus(session: Session): Promise<DaemonStatusResult> {
  const status = await (await session.client()).probe();
  return status ? { running: true, ...status, ...socketWhere(session.home) } : { running: false, home: session.home, ...socketWhere(session.home) };
}

function socketWhere(home: string): SocketWhere {
  const place = daemonSocketPlace(home);
  return { socket: place.path, socketFallback: place.fallback };
}

export async function daemonStart(session: Session): Promise<{ running: true; alreadyRunning: boolean } & DaemonStatus> {
  const client = await session.client();
  const before = await client.probe();
  const status = before ?? (await client.ensureDaemon());
  return { running: true, alreadyRunning: before !== undefined, ...status };
}

/** Stops berthd (services keep running) and waits until it is gone. */
export async function daemonStop(session: Session): Promise<{ running: false; stopped: number | null }> {
  const client = await session.client();
  const status = await client.probe();
  if (status) {
    await client.shutdown();
    while (await client.probe()) await new Promise((r) => setTimeout(r, 20));
  }
  return { running: false, stopped: status ? status.pid : null };
}

export type DaemonAction = 'start' | 'stop' | 'status';

export function parseDaemonAction(text: string): DaemonAction {
  if (text === 'start' || text === 'stop' || text === 'status') return text;
  throw new UsageError(`unknown daemon action ${JSON.stringify(text)}`, 'berth daemon start|stop|status');
}
