// The registry: one SQLite file per berth home, in WAL mode so readers never wait for the
// writer, with a busy timeout so concurrent berth processes queue instead of failing.
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { BerthError, RegistryError } from '../errors.ts';
import { ensureHome, registryPath } from '../home.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';

const BUSY_TIMEOUT_MS = 10_000;
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
      throw translateOpenError(path, err);
    }
  }

  /** Opens the registry only if it already exists: read-only questions must not create state. */
  static openIfExists(home: string): Registry | undefined {
    return existsSync(registryPath(home)) ? Registry.open(home) : undefined;
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
      for (let v = current; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
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
    this.db.exec('BEGIN IMMEDIATE');
    this.depth++;
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.depth--;
    }
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.db.prepare(sql).get(...params) as T | undefined;
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    const r = this.db.prepare(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
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

/** Maps a SQLite error to a typed registry error (corrupt, not a database), or returns it unchanged. */
export function translateOpenError(path: string, err: unknown): unknown {
  if (err instanceof BerthError) return err;
  const errcode = (err as { errcode?: number }).errcode;
  if (errcode === SQLITE_NOTADB || errcode === SQLITE_CORRUPT) {
    return new RegistryError(
      'registry_corrupt',
      path,
      `the registry ${path} is not a SQLite database berth can read`,
      `berth left it untouched; move it aside (mv ${path} ${path}.broken) and berth starts a new one`,
      err,
    );
  }
  return new RegistryError('registry_failed', path, `cannot open the registry ${path}: ${(err as Error).message}`, 'check the file and its directory', err);
}
