// Everything berth asks of the operating system about processes, sockets and open files, as one
// interface with two implementations: `proc` (Linux: /proc read directly, the fast path) and
// `portable` (macOS and any Unix with `lsof` and `ps`: `lsof -F` field output and `ps -o` with
// explicit columns, never the human formats). The core depends on this interface, never on /proc
// (issue 16; docs/decisions/0027-inspection-backends.md). Every method answers undefined (or an
// empty result) for a process that is gone or unreadable: between listing processes and reading
// one, a process may exit, and that is normal, not an error.
import type { FileLock } from './file-locks.ts';
import type { Family, Protocol } from './sockets.ts';
import type { SystemdUnit } from './units.ts';

/**
 * The unit of ProcStat.startTicks for every backend: Linux's USER_HZ, 100 on every architecture
 * Node runs on (asking `getconf CLK_TCK` would cost a process spawn). The portable backend
 * expresses its whole seconds in the same unit.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

export type BackendName = 'proc' | 'portable';

/** One process as the process table shows it. */
export interface ProcStat {
  pid: number;
  comm: string;
  /** one letter: R, S, D, Z (zombie), T, … (portable: the first letter of ps's `state`) */
  state: string;
  ppid: number;
  pgid: number;
  /** the session id (the pid of the session's leader); 0 when the backend cannot tell */
  sid: number;
  /** 0 when the process has no controlling terminal */
  ttyNr: number;
  /**
   * The start time in clock ticks (CLOCK_TICKS_PER_SECOND) since boot. `proc` has USER_HZ
   * resolution; `portable` has whole seconds (ps's `lstart`), expressed in the same unit, so
   * two processes started in the same second under the same pid are not told apart there.
   */
  startTicks: number;
}

/** A listening TCP socket or a bound UDP socket. */
export interface SocketEntry {
  protocol: Protocol;
  family: Family;
  address: string;
  port: number;
  /** the uid that created it (portable: the uid of its first holder; -1 when unknown) */
  uid: number;
  /** the backend's key for the socket (proc: its inode), the same in socketHolders and socketKeysOf */
  inode: number;
}

export type OpenMode = 'read' | 'write' | 'read-write';

/** A file asked about: its real path and what stat says of it. */
export interface FileTarget {
  path: string;
  dev: number;
  ino: number;
}

/** A lock on a file and the process that holds it (null: an OFD lock whose descriptor was not found). */
export interface LockOnFile extends FileLock {
  holder: number | null;
  /** the descriptor the lock was found through, when the backend knows it */
  fd?: number;
}

/** Who uses one file: every descriptor open on it (and how), every lock on it (waiters included). */
export interface FileUse {
  opens: Array<{ pid: number; fd: number; mode: OpenMode }>;
  locks: LockOnFile[];
}

export interface InspectBackend {
  readonly name: BackendName;

  // ---- processes
  /** the pids alive at the moment of reading */
  listPids(): number[];
  /** every process at once (portable: one `ps` call); cheaper than readStat per pid */
  readAllStats(): Map<number, ProcStat>;
  readStat(pid: number): ProcStat | undefined;
  /** empty for kernel threads and zombies */
  readArgv(pid: number): string[] | undefined;
  readCwd(pid: number): string | undefined;
  /** real, effective, saved (and on Linux filesystem) uids */
  readUids(pid: number): number[] | undefined;
  /** the initial environment (our own user's processes only) */
  readEnviron(pid: number): Record<string, string> | undefined;
  readRssBytes(pid: number): number | null;
  /** an id of this boot: the same for every call until the machine reboots */
  bootId(): string;
  /** the wall-clock time of boot, ms since the epoch */
  bootTimeMs(): number;
  /** the service-manager unit the process runs in (systemd on Linux; a launchd label on macOS), or null */
  processUnit(pid: number): SystemdUnit | null;

  // ---- sockets
  /** every listening TCP socket and bound UDP socket, or those on one port / of one protocol */
  readSockets(filter?: { port?: number; protocol?: Protocol }): SocketEntry[];
  /** the pids holding each socket key; `unreadable` counts processes whose descriptors could not be read */
  socketHolders(keys: Iterable<number>): { byInode: Map<number, number[]>; unreadable: number };
  /** the keys of the sockets one process holds, or undefined when unreadable */
  socketKeysOf(pid: number): Set<number> | undefined;
  /** the pids holding bound Unix sockets whose name starts with `prefix`, by the rest of the name (Linux abstract names are written "@name") */
  boundUnixSockets(prefix: string): Map<string, number[]>;
  /** the uid of the process at the client end of a loopback TCP connection clientPort → serverPort */
  tcpClientUid(clientPort: number, serverPort: number): number | undefined;

  // ---- files
  /** who has each target open and what locks are on it, in the order of `targets` */
  fileUses(targets: FileTarget[]): { uses: FileUse[]; unreadable: number };
  /** the paths of the regular files a process has open, or undefined when unreadable */
  openPathsOf(pid: number): string[] | undefined;
  /** every lock held on the host (waiters excluded), with the path of the file when it can be found */
  allLocks(): Array<LockOnFile & { path: string | null }>;
}
