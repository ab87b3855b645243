// The one function through which berth sends a signal. It re-reads the identity immediately
// before sending, so a pid recycled since the record was written is never signalled, and it
// refuses the processes berth must never touch.
import { ProcessGoneError, SignalRefusedError } from './errors.ts';
import { type Identity, readIdentity, sameIdentity } from './identity.ts';
import { inspect } from './inspect/select.ts';
import { ancestorsOf } from './inspect/tree.ts';

export type SignalName = 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 'SIGHUP' | 'SIGQUIT' | 'SIGUSR1' | 'SIGUSR2' | 0;

export interface SignalOptions {
  /** Signal the whole process group the identity leads (it must be the group leader). */
  group?: boolean;
}

/**
 * Sends a signal to the process with this identity (or its process group).
 * Throws ProcessGoneError when the pid is no longer that process, and SignalRefusedError for
 * pid 1, berth itself, its ancestors and processes of other users.
 */
export function signalProcess(identity: Identity, signal: SignalName, opts: SignalOptions = {}): void {
  const { pid } = identity;
  assertSignallable(pid);
  const now = readIdentity(pid);
  if (now === undefined) throw new ProcessGoneError(pid, 'no such process');
  if (!sameIdentity(now, identity)) throw new ProcessGoneError(pid, 'the pid now belongs to another process (pid reuse)');
  if (opts.group) {
    const stat = inspect().readStat(pid);
    if (stat === undefined || stat.pgid !== pid) throw new ProcessGoneError(pid, 'it no longer leads its process group');
    // A race remains between this check and kill(2); Node has no pidfd_send_signal to close it,
    // and the window is microseconds against pid reuse that takes a full pid-space cycle.
    process.kill(-pid, signal);
    return;
  }
  process.kill(pid, signal);
}

/**
 * Whether any process has this pid (a zombie, or another user's, counts): kill(pid, 0), which
 * sends nothing. Says nothing of identity: only a hint of when to look again (process-tree.ts).
 */
export function pidExists(pid: number): boolean {
  // 0 and negative pids name process groups: never asked here
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What "berth itself" is in this process, for the ancestor refusal: the CLI's ancestors are the
 * user's shell or agent; the daemon's are whatever started it (a service it then supervises, if
 * it was started from inside one by an older berth), and saying "your shell" there misleads.
 */
let selfName = 'berth (your shell or agent)';

/** Called once by berthd's entry: refusals then name the daemon as the process whose ancestor is spared. */
export function declareDaemonProcess(): void {
  selfName = "berth's daemon";
}

/** Throws SignalRefusedError if berth must never signal this pid. */
export function assertSignallable(pid: number): void {
  if (pid <= 1) throw new SignalRefusedError(pid, 'pid1', 'it is pid 1 (init)');
  if (pid === process.pid) throw new SignalRefusedError(pid, 'self', 'it is berth itself');
  if (ancestorsOf(process.pid).includes(pid)) throw new SignalRefusedError(pid, 'ancestor', `it is an ancestor of ${selfName}`);
  // Every uid of it must be ours: a setuid program started by this user runs as someone else.
  const uids = inspect().readUids(pid);
  const me = process.getuid?.() ?? -1;
  const other = uids?.find((u) => u !== me);
  if (other !== undefined) throw new SignalRefusedError(pid, 'other_user', `it belongs to uid ${other}, not ${me}`);
}
