// `berth beat` and the library's beat()/ready(): a service's heartbeat for programs that cannot
// send an sd_notify datagram (a shell script, Node). The same text as NOTIFY_SOCKET's goes over
// the daemon's API socket with the caller's pid, which must be in the service's instance tree;
// the service is the one berth started the caller in (BERTH_SERVICE). See decision 0024.
import { UsageError } from '../core/errors.ts';
import type { BeatResult } from '../core/supervisor/api.ts';
import { oneLine } from '../core/supervisor/notify.ts';
import type { Session } from './session.ts';

export interface BeatInput {
  /** READY=1: a `health: notify` service is ready */
  ready?: boolean;
  /** STATUS=: shown in ps (one line, at most 200 characters) */
  status?: string;
  /** the pid that speaks for the service (default: this process); it must be in the service's tree */
  pid?: number;
}

/** One beat (WATCHDOG=1, plus READY=1 and STATUS= when given) for the service this process runs in. */
export async function beatService(session: Session, input: BeatInput): Promise<BeatResult> {
  const name = session.envVar('BERTH_SERVICE');
  if (name === undefined || name === '') {
    throw new UsageError('BERTH_SERVICE is not set: berth beat runs inside a service berth started', 'start the script with berth run NAME -- CMD (or berth up); berth sets BERTH_SERVICE there', 'no_service');
  }
  const lines = ['WATCHDOG=1'];
  if (input.ready === true) lines.push('READY=1');
  if (input.status !== undefined) lines.push(`STATUS=${oneLine(input.status)}`);
  return (await session.client()).beat({ name, pid: input.pid ?? process.pid, message: lines.join('\n') });
}
