// berth as a library: the same singleton lock as `berth lock`, the same semaphore slots as
// `berth lock --slots`, the same shared rate limits as `berth rate`, the same port lease as
// `berth port`, and the same answers as `berth who --json`, for Node programs that want
// berth's guarantees in-process. See docs/library.md.
import { resolveHome } from './core/home.ts';
import { assertSupportedPlatform } from './core/platform.ts';
import { BerthError, EXIT } from './core/errors.ts';
import { readIdentity } from './core/identity.ts';
import { findLockHolder, forgetLockHolder, type HeldLock, recordLockHolder, tryBindLock } from './core/locks/named-lock.ts';
import { acquireSlot as bindSlot, findSlotHolders, MAX_SLOTS, slotLockName } from './core/locks/slots.ts';
import { type Caller, detectOwner } from './core/owner.ts';
import { parseRateLimit } from './core/rate/limit.ts';
import { takeToken as takeFromBucket, type TakeResult } from './core/rate/bucket.ts';
import { leasePort as leaseInRegistry } from './core/ports/ports.ts';
import { assignProject, joinName, parseFullName } from './core/project.ts';
import { projectDirOf } from './core/project-dir.ts';
import { Registry } from './core/registry/registry.ts';
import { parseCount, parseName, parsePort } from './core/validate.ts';
import { resolveSettings } from './core/settings.ts';
import { beatService } from './app/beat.ts';
import { Session } from './app/session.ts';
import { whoHolds as holdersOf, whoListens as listenersOf, type FileAnswer, type PortAnswer } from './core/who.ts';

export { BerthError } from './core/errors.ts';
export { UnsupportedPlatformError } from './core/platform.ts';
export type { FileAnswer, PortAnswer } from './core/who.ts';
export type { Identity } from './core/identity.ts';
export type { TakeResult } from './core/rate/bucket.ts';

export interface LibraryOptions {
  /** the berth home (default: $BERTH_HOME, else $XDG_STATE_HOME/berth, else ~/.local/state/berth; on macOS ~/Library/Application Support/berth) */
  home?: string;
}

/** Thrown by singleton() when another live process holds the name. */
export class AlreadyRunningError extends BerthError {
  readonly pid: number | null;
  readonly command: string | null;
  constructor(name: string, pid: number | null, command: string | null) {
    super('already_running', `"${name}" is already running${pid !== null ? ` (pid ${pid}${command ? `: ${command}` : ''})` : ''}`, {
      hint: 'exit quietly: the other instance does the work',
      exitCode: EXIT.ok,
      details: { name, pid, command },
    });
    this.pid = pid;
    this.command = command;
  }
}

export interface SingletonHandle {
  name: string;
  /** releases the lock now (it is released anyway when this process exits, however it exits) */
  release(): Promise<void>;
}

function caller(): Caller {
  return { actor: `lib:berth (pid ${process.pid})`, owner: detectOwner() };
}

function withRegistry<T>(opts: LibraryOptions, fn: (r: Registry) => T): T {
  const registry = Registry.open(homeOf(opts));
  try {
    return fn(registry);
  } finally {
    registry.close();
  }
}

/**
 * Makes this process the only holder of `name` (the same lock as `berth lock NAME`): resolves
 * to a handle, or rejects with AlreadyRunningError naming the holder's pid. The kernel
 * releases the lock when this process dies, even by SIGKILL: no PID file to go stale.
 */
export async function singleton(name: string, opts: LibraryOptions = {}): Promise<SingletonHandle> {
  parseName(name, 'lock name');
  const home = homeOf(opts);
  const held = await tryBindLock(home, name);
  if (!held) {
    const registry = Registry.openIfExists(home);
    try {
      const holder = await findLockHolder(home, registry, name);
      throw new AlreadyRunningError(name, holder?.pid ?? null, holder?.command ?? null);
    } finally {
      registry?.close();
    }
  }
  return { name, release: holdAsThisProcess(home, held, name) };
}

/**
 * Records this process as the holder of the bound lock `lockName` (`berth locks` shows it) and
 * returns its release: close the socket and forget the record, once. The socket is unref'd: a
 * lock must not keep the program alive on its own.
 */
function holdAsThisProcess(home: string, held: HeldLock, lockName: string): () => Promise<void> {
  held.unref();
  const me = readIdentity(process.pid)!;
  const who = caller();
  withRegistry({ home }, (r) => recordLockHolder(r, who, lockName, me, process.argv.join(' ')));
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await held.close();
    withRegistry({ home }, (r) => forgetLockHolder(r, who, lockName, me, { reason: 'released' }));
  };
}

export interface SlotHandle {
  name: string;
  /** the slot this process holds, 1-based */
  slot: number;
  /** releases the slot now (it is released anyway when this process exits, however it exits) */
  release(): Promise<void>;
}

/**
 * Takes one of `slots` slots of `name` (the same semaphore as `berth lock NAME --slots N`),
 * waiting up to opts.waitMs (default 0) for one to free up; rejects with a BerthError coded
 * lock_held (details: the holders' pids) if none does. The kernel frees the slot when this
 * process dies, even by SIGKILL.
 */
export async function acquireSlot(name: string, slots: number, opts: LibraryOptions & { waitMs?: number } = {}): Promise<SlotHandle> {
  parseName(name, 'lock name');
  parseCount(String(slots), 'slots', { min: 1, max: MAX_SLOTS });
  const home = homeOf(opts);
  const taken = await bindSlot(home, name, slots, opts.waitMs ?? 0);
  if (!taken) {
    const registry = Registry.openIfExists(home);
    try {
      const holders = await findSlotHolders(home, registry, name, slots);
      throw new BerthError('lock_held', `${slots === 1 ? 'the 1 slot' : `all ${slots} slots`} of "${name}" ${slots === 1 ? 'is' : 'are'} held`, {
        hint: 'wait longer (waitMs), or see who holds them: berth locks',
        exitCode: EXIT.conflict,
        details: { name, slots, pids: holders.map((h) => h.pid) },
      });
    } finally {
      registry?.close();
    }
  }
  return { name, slot: taken.slot, release: holdAsThisProcess(home, taken.held, slotLockName(name, taken.slot)) };
}

/**
 * Takes one token of the rate limit `name` (the same bucket as `berth rate NAME --limit …`),
 * waiting until it is due; `limit` is written as on the command line ("60/min"). Rejects with a
 * BerthError coded rate_timeout, taking nothing, if the token is due later than opts.timeoutMs.
 */
export async function takeToken(name: string, limit: string, opts: LibraryOptions & { burst?: number; timeoutMs?: number } = {}): Promise<TakeResult> {
  parseName(name, 'rate limit name');
  const parsed = parseRateLimit(limit, opts.burst);
  const registry = Registry.open(homeOf(opts));
  try {
    return await takeFromBucket(registry, caller(), name, parsed, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  } finally {
    registry.close();
  }
}

/**
 * The name `berth port NAME` would lease from this process's directory: a full name
 * (`shop/web`) as given; a bare one in the project of `opts.project`, else $BERTH_PROJECT, else
 * the directory's (recorded as `berth port` records it). See decision 0016.
 */
function leaseName(r: Registry, name: string, opts: { project?: string; cwd?: string }): string {
  if (name.includes('/')) return parseFullName(name);
  const service = parseName(name);
  const override = opts.project ?? process.env['BERTH_PROJECT'];
  if (override !== undefined && override !== '') return joinName(parseName(override, 'project name'), service);
  const found = projectDirOf(opts.cwd ?? process.cwd());
  return joinName(found === undefined ? 'root' : assignProject(r, found.dir, found.wanted).project, service);
}

/**
 * The port leased to `name` (the same lease as `berth port NAME` run in the same directory),
 * leasing one if needed. A bare name is in the caller's project, as on the command line.
 */
export function leasePort(name: string, opts: LibraryOptions & { ttlMs?: number; project?: string; cwd?: string } = {}): number {
  return withRegistry(opts, (r) =>
    leaseInRegistry(r, caller(), leaseName(r, name, opts), { range: resolveSettings().portRange, ...(opts.ttlMs !== undefined ? { ttlMs: opts.ttlMs } : {}) }).port,
  );
}

/** Who listens on a port: the same document as `berth who PORT --json`. */
export function whoListens(port: number, opts: LibraryOptions = {}): PortAnswer {
  const registry = Registry.openIfExists(homeOf(opts));
  try {
    return listenersOf(parsePort(port), registry);
  } finally {
    registry?.close();
  }
}

/** Who holds a file open or locked: the same document as `berth who PATH --json`. */
export function whoHolds(path: string, opts: LibraryOptions = {}): FileAnswer {
  const registry = Registry.openIfExists(homeOf(opts));
  try {
    return holdersOf(path, registry);
  } finally {
    registry?.close();
  }
}

/**
 * A heartbeat from inside a service berth runs (BERTH_SERVICE): WATCHDOG=1 for its
 * `watchdog:`, and STATUS= for ps when given. The same as `berth beat`; the calling process
 * must be in the service's instance tree.
 */
export async function beat(opts: LibraryOptions & { status?: string } = {}): Promise<void> {
  await withSession(opts, (session) => beatService(session, { ...(opts.status !== undefined ? { status: opts.status } : {}) }));
}

/** READY=1 from inside a service berth runs: a `health: notify` service becomes ready. Also a beat. */
export async function ready(opts: LibraryOptions & { status?: string } = {}): Promise<void> {
  await withSession(opts, (session) => beatService(session, { ready: true, ...(opts.status !== undefined ? { status: opts.status } : {}) }));
}

async function withSession<T>(opts: LibraryOptions, fn: (session: Session) => Promise<T>): Promise<T> {
  assertSupportedPlatform();
  const session = new Session({ actor: `library (pid ${process.pid})`, ...(opts.home !== undefined ? { env: { ...process.env, BERTH_HOME: opts.home } } : {}) });
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}

/** The home a call uses; on a platform berth does not run on (Windows), an UnsupportedPlatformError first. */
function homeOf(opts: LibraryOptions): string {
  assertSupportedPlatform();
  return opts.home ?? resolveHome();
}
