// The registry: one SQLite file per berth home, in WAL mode so readers never wait for the
// writer, with a busy timeout so concurrent berth processes queue instead of failing.
// berth.db is created 0600 by berth before SQLite opens it (SQLite would use the umask, and
// gives -wal and -shm the mode of the database), never through a link. Every SQLite failure
// that means the file is unusable (corrupt, read-only) becomes a typed RegistryError with its
// recovery, whichever query meets it first: a corrupt page may sit under any table.
import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { BerthError, isErrno, RegistryError } from '../errors.ts';
import { checkHome, ensureHome, registryPath } from '../home.ts';
import { checkHomeBackendOf } from '../inspect/home-backend.ts';
import { lstatOrUndefined, openChecked } from '../private-fs.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';

const BUSY_TIMEOUT_MS = 10_000;
// primary result codes (node:sqlite reports extended ones; the low byte is the primary)
const SQLITE_READONLY = 8;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

export type Row = Record<string, SQLInputValue>;

export class Registry {
  readonly path: string;
  private connection: DatabaseSync;
  private depth = 0;
  /** the inode of the file this connection opened: a different one means it was removed or replaced */
  private inode: number;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.connection = db;
    this.inode = statSync(path).ino;
  }

  get db(): DatabaseSync {
    return this.connection;
  }

  /**
   * Checks that the file on disk is still the one this connection uses, and puts it back if
   * not. Removed, or replaced by another file (moved aside as berth.db.replaced-TIME): the
   * open connection still has every record, so it is written back with VACUUM INTO and
   * reopened. Corrupted in place: nothing to restore from; the caller is told.
   */
  checkFile(): 'ok' | 'restored' | 'corrupt' {
    let ino: number | undefined;
    try {
      ino = statSync(this.path).ino;
    } catch {
      ino = undefined;
    }
    if (ino === this.inode) {
      const header = Buffer.alloc(16);
      const fd = openSync(this.path, 'r');
      try {
        readSync(fd, header, 0, 16, 0);
      } finally {
        closeSync(fd);
      }
      return header.toString('latin1') === 'SQLite format 3\0' ? 'ok' : 'corrupt';
    }
    if (ino !== undefined) renameSync(this.path, `${this.path}.replaced-${Date.now()}`);
    for (const suffix of ['-wal', '-shm']) rmSync(this.path + suffix, { force: true });
    // VACUUM INTO accepts an empty file: create it ourselves, private and new
    closeSync(openChecked(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
    this.connection.exec(`VACUUM INTO '${this.path.replaceAll("'", "''")}'`);
    this.connection.close();
    this.connection = new DatabaseSync(this.path, { timeout: BUSY_TIMEOUT_MS });
    this.connection.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    this.inode = statSync(this.path).ino;
    return 'restored';
  }

  /** Opens (creating and migrating if needed) the registry of a berth home. */
  static open(home: string): Registry {
    ensureHome(home);
    const path = registryPath(home);
    // one inspection backend per home: its records' identities are that backend's (home-backend.ts)
    checkHomeBackendOf(home);
    preparePrivateFiles(path);
    // Many berth processes can meet a new registry at once (a lease storm on a fresh home):
    // switching it to WAL and migrating it can then find it busy without the busy handler being
    // asked (SQLite returns SQLITE_BUSY at once where waiting could deadlock). Such a start is
    // tried again, briefly, instead of failing the command.
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      let db: DatabaseSync | undefined;
      try {
        db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
        // In WAL mode NORMAL loses no committed transaction on a process crash (only, at worst,
        // the last ones on power loss) and spares an fsync per commit, which would otherwise
        // stretch every writer's hold on the lock.
        db.exec('PRAGMA synchronous = NORMAL');
        const registry = new Registry(path, db);
        registry.migrate();
        return registry;
      } catch (err) {
        db?.close();
        if (isBusy(err) && Date.now() < deadline) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(200, 10 * 2 ** Math.min(attempt, 4)));
          continue;
        }
        throw translateOpenError(path, err);
      }
    }
  }

  /** Opens the registry only if it already exists: read-only questions must not create state. */
  static openIfExists(home: string): Registry | undefined {
    if (checkHome(home) === 'missing' || lstatOrUndefined(registryPath(home)) === undefined) return undefined;
    return Registry.open(home);
  }

  /** Reads every page (PRAGMA quick_check): throws registry_corrupt if one is damaged. */
  verify(): void {
    const rows = this.all<{ quick_check: string }>('PRAGMA quick_check');
    if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') throw corrupt(this.path, new Error(rows.map((r) => r.quick_check).join('; ')));
  }

  private migrate(): void {
    const version = this.userVersion();
    if (version > SCHEMA_VERSION) throw tooNew(this.path, version);
    if (version === SCHEMA_VERSION) return;
    this.db.exec('PRAGMA journal_mode = WAL');
    this.transaction(() => {
      // Another process may have migrated between our read and our write lock.
      const current = this.userVersion();
      if (current > SCHEMA_VERSION) throw tooNew(this.path, current);
      for (let v = current; v < SCHEMA_VERSION; v++) {
        const step = MIGRATIONS[v]!;
        if (typeof step === 'string') this.db.exec(step);
        else step(this);
      }
      this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }

  private userVersion(): number {
    const row = this.db.prepare('PRAGMA user_version').get() as { user_version: number };
    return row.user_version;
  }

  /**
   * Runs fn in one write transaction (BEGIN IMMEDIATE takes the write lock up front, so two
   * processes never both read-then-write). Nested calls join the outer transaction.
   */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.guard(() => this.db.exec('BEGIN IMMEDIATE'));
    this.depth++;
    try {
      const result = fn();
      this.guard(() => this.db.exec('COMMIT'));
      return result;
    } catch (err) {
      // a failed COMMIT may already have ended the transaction
      if (this.db.isTransaction) this.guard(() => this.db.exec('ROLLBACK'));
      throw err;
    } finally {
      this.depth--;
    }
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.guard(() => this.db.prepare(sql).all(...params) as T[]);
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.guard(() => this.db.prepare(sql).get(...params) as T | undefined);
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    return this.guard(() => {
      const r = this.db.prepare(sql).run(...params);
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    });
  }

  /** Runs one SQLite call, turning "the file is unusable" failures into typed registry errors. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translateSqliteError(this.path, err);
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

function tooNew(path: string, version: number): RegistryError {
  return new RegistryError(
    'registry_too_new',
    path,
    `the registry ${path} has schema version ${version}; this berth knows up to ${SCHEMA_VERSION}`,
    'it was written by a newer berth: upgrade berth (it was left untouched)',
  );
}

/**
 * Creates berth.db 0600 if missing (SQLite would create it with the umask's mode) and checks
 * it, and -wal and -shm if present, on the descriptor: regular files of ours with one link,
 * never through a symlink. A registry an older berth left readable by others is made private.
 */
function preparePrivateFiles(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let fd: number;
    try {
      fd = openChecked(file, constants.O_RDONLY | constants.O_NONBLOCK | (file === path ? constants.O_CREAT : 0), 0o600);
    } catch (err) {
      if (file !== path && isErrno(err, 'ENOENT')) continue;
      if (err instanceof BerthError) throw err;
      throw translateOpenError(path, err);
    }
    try {
      const mode = fstatSync(fd).mode & 0o777;
      if ((mode & 0o077) !== 0) fchmodSync(fd, mode & 0o700);
    } finally {
      closeSync(fd);
    }
  }
}

/** SQLITE_BUSY (5) or SQLITE_LOCKED (6), or one of their extended codes, as node:sqlite reports them. */
function isBusy(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { errcode?: unknown }).errcode : undefined;
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

/** Checks the registry of a home, if there is one: throws its typed error (corrupt, read-only) if it is unusable. */
export function diagnoseRegistry(home: string): void {
  let registry: Registry | undefined;
  try {
    registry = Registry.openIfExists(home);
    registry?.verify();
    // a read-only file (or file system) shows only on a write; this one changes nothing
    registry?.transaction(() => registry!.run('PRAGMA user_version = ' + SCHEMA_VERSION));
  } catch (err) {
    if (err instanceof BerthError) throw err;
  } finally {
    registry?.close();
  }
}

function corrupt(path: string, cause: unknown): RegistryError {
  return new RegistryError(
    'registry_corrupt',
    path,
    `the registry ${path} is not a SQLite database berth can read`,
    `berth left it untouched; move it aside (mv ${path} ${path}.broken) and berth starts a new one`,
    cause,
  );
}

/** Maps a SQLite error that means the file is unusable (corrupt, not a database, read-only) to a typed registry error; others unchanged. */
export function translateSqliteError(path: string, err: unknown): unknown {
  if (err instanceof BerthError) return err;
  const errcode = (err as { errcode?: number }).errcode;
  if (errcode === undefined) return err;
  const primary = errcode & 0xff;
  if (primary === SQLITE_NOTADB || primary === SQLITE_CORRUPT) return corrupt(path, err);
  if (primary === SQLITE_READONLY) {
    return new RegistryError(
      'registry_readonly',
      path,
      `the registry ${path} is read-only: berth cannot record leases, services or events`,
      `make it writable again (chmod u+w ${path}, and its directory), or check that its file system is not mounted read-only`,
      err,
    );
  }
  return err;
}

/** Maps a SQLite error met while opening to a typed registry error (corrupt, read-only, or failed). */
export function translateOpenError(path: string, err: unknown): unknown {
  const typed = translateSqliteError(path, err);
  if (typed instanceof BerthError) return typed;
  return new RegistryError('registry_failed', path, `cannot open the registry ${path}: ${(err as Error).message}`, 'check the file and its directory', err);
}
