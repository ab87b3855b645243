// Which running process `berth adopt` means: the one with a pid, the one listening on a port, or
// the one a pidfile names. A pidfile is the weakest of the three: it outlives its writer, and
// the pid it holds may since have gone to another process. So a pidfile is read bounded (a
// regular file, a few bytes, never a FIFO or /dev/zero), and the process it names must have
// started no later than the file was last written (its writer wrote it after it started); a
// process that started after the file, or none at all, makes the pidfile STALE: refused with
// the reason, never acted on. A pidfile (or a symlink on its path) owned by another user is
// refused (anyone can write any pid), and one written "in the future" is stale: its mtime is no
// bound on anything. The daemon checks the identity resolved here again before it
// records anything, so a process that ends in between is not adopted either.
import { lstatSync } from 'node:fs';
import { readBoundedFile, UnreadableFileError } from '../bounded-read.ts';
import { BerthError, EXIT } from '../errors.ts';
import { type Identity, readIdentity } from '../identity.ts';
import { findListeners } from '../inspect/listeners.ts';
import { ticksToEpochMs } from '../inspect/select.ts';
import { InvalidPidfileError, NoListenerError, PidfileStaleError } from './errors.ts';

/** The most berth reads of a pidfile. */
export const MAX_PIDFILE_BYTES = 4096;

/**
 * How much later than the pidfile's mtime a process may seem to have started and still be its
 * writer: start times come from /proc in ticks since boot, and boot time (btime) is whole
 * seconds, so a start time in wall-clock terms is off by up to a second.
 */
export const PIDFILE_SLACK_MS = 1_000;

export type AdoptSource = { kind: 'pid'; pid: number } | { kind: 'port'; port: number } | { kind: 'pidfile'; path: string };

export interface ResolvedTarget {
  identity: Identity;
  /** how it was found, as the adopt event and document say */
  source: { kind: AdoptSource['kind']; port: number | null; pidfile: string | null };
}

/** The process a source names, as a live identity; throws the reason when there is none. */
export function resolveTarget(source: AdoptSource): ResolvedTarget {
  switch (source.kind) {
    case 'pid':
      return { identity: byPid(source.pid), source: { kind: 'pid', port: null, pidfile: null } };
    case 'port':
      return { identity: byPort(source.port), source: { kind: 'port', port: source.port, pidfile: null } };
    case 'pidfile':
      return { identity: byPidfile(source.path), source: { kind: 'pidfile', port: null, pidfile: source.path } };
  }
}

function byPid(pid: number): Identity {
  const identity = readIdentity(pid);
  if (identity === undefined) throw new BerthError('process_gone', `no process has pid ${pid}`, { hint: 'see what runs: berth ps, berth who PORT', exitCode: EXIT.notFound, details: { pid } });
  return identity;
}

/** The process that listens on the port: the one holder, or the parent of a pre-forked group that shares the socket. */
function byPort(port: number): Identity {
  const pids = new Map<number, number>();
  for (const listener of findListeners({ port }).listeners) for (const p of listener.processes) pids.set(p.pid, p.ppid);
  if (pids.size === 0) throw new NoListenerError(port, 'no process of yours listens on it');
  const roots = [...pids.keys()].filter((pid) => !pids.has(pids.get(pid)!));
  if (roots.length !== 1) throw new NoListenerError(port, `unrelated processes listen on it (pids ${roots.join(', ')}): adopt one by --pid`);
  return byPid(roots[0]!);
}

function byPidfile(path: string): Identity {
  let file: { text: string; mtimeMs: number; uid: number };
  try {
    file = readBoundedFile(path, MAX_PIDFILE_BYTES);
  } catch (err) {
    if (err instanceof UnreadableFileError && err.reason === 'too_large') throw new InvalidPidfileError(path, `is larger than ${MAX_PIDFILE_BYTES} bytes: not a pidfile`, 'too_large');
    throw err;
  }
  // another user can write (or point a symlink at) any pid, with any mtime: only ours or root's is evidence
  const link = linkOwner(path);
  if (!trustedOwner(file.uid) || (link !== undefined && !trustedOwner(link))) {
    throw new InvalidPidfileError(path, `is owned by another user (uid ${!trustedOwner(file.uid) ? file.uid : link}): not evidence of what you started`, 'other_owner');
  }
  const match = /^\s*(\d{1,10})\s*$/.exec(file.text);
  const pid = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(pid) || pid < 1) throw new InvalidPidfileError(path, 'does not hold a process id');
  const identity = readIdentity(pid);
  if (identity === undefined) throw new PidfileStaleError(path, pid, 'gone');
  if (file.mtimeMs > Date.now() + PIDFILE_SLACK_MS) throw new PidfileStaleError(path, pid, 'mtime_in_future', { writtenAt: new Date(file.mtimeMs).toISOString() });
  const startedMs = ticksToEpochMs(identity.startTicks);
  if (startedMs > file.mtimeMs + PIDFILE_SLACK_MS) {
    throw new PidfileStaleError(path, pid, 'started_after_file', { writtenAt: new Date(file.mtimeMs).toISOString(), startedAt: new Date(startedMs).toISOString() });
  }
  return identity;
}

function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === (process.getuid?.() ?? uid);
}

/** The owner of a symlink at the path itself (undefined: not a symlink, or gone). */
function linkOwner(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    return st.isSymbolicLink() ? st.uid : undefined;
  } catch {
    return undefined;
  }
}
