// The doctor's SQLite findings (issue 14, decision 0023): the roommates report's lesson is "WAL
// mode and a busy timeout". A declared database still in rollback-journal mode makes every
// reader block the writer and every writer block the readers ("database is locked"); two
// processes that may write one database take turns on its one write lock. Both are read from
// the outside: the journal mode from the header, who may write from the open descriptors and
// the lock bytes (./inspect/sqlite.ts), never by opening the database.
import { existsSync } from 'node:fs';
import type { Finding } from './doctor.ts';
import { findFileHolders } from './inspect/holders.ts';
import { readJournalMode } from './inspect/sqlite.ts';
import { oneLine, shellQuote } from './text.ts';

/** The database files declared under locks:, each with the services that declare it. */
export type DeclaredFiles = Map<string, string[]>;

/** Warnings for the declared SQLite databases: rollback-journal mode, and two processes that may write one. */
export function diagnoseSqlite(declared: DeclaredFiles): Finding[] {
  const findings: Finding[] = [];
  for (const [path, services] of declared) {
    if (!existsSync(path)) continue;
    const mode = readJournalMode(path);
    if (mode === null) continue;
    const by = services.map((s) => `"${s}"`).join(' and ');
    if (mode === 'rollback') {
      findings.push({
        severity: 'warning',
        kind: 'sqlite_rollback',
        subject: path,
        message: `${path}, declared by ${by}, is a SQLite database in rollback-journal mode: a writer's commit waits for every reader, and while it commits no one reads. With several services on it, enable WAL (PRAGMA journal_mode=WAL), where readers and the writer do not block each other`,
        fix: `sqlite3 ${shellQuote(path)} 'PRAGMA journal_mode=WAL'`,
      });
    }
    let writers;
    try {
      // a write intent: it holds the write lock, or has the database open for writing
      writers = findFileHolders(path).holders.filter((h) => h.role === 'writer' || h.fds.some((f) => f.companion === undefined && f.mode !== 'read'));
    } catch {
      continue;
    }
    if (writers.length < 2) continue;
    const who = writers.map((h) => `pid ${h.process.pid}${h.role === 'writer' ? ' (writing now)' : ''}: ${oneLine(h.process.command)}`).join('; ');
    findings.push({
      severity: mode === 'rollback' ? 'warning' : 'info',
      kind: 'write_intents',
      subject: path,
      message: `${path} is open for writing by ${writers.length} processes (${who}): they take turns on its one write lock; each needs a busy timeout (PRAGMA busy_timeout=5000)${mode === 'rollback' ? ' and the database WAL mode' : ''}, or one fails with "database is locked"`,
      fix: mode === 'rollback' ? `sqlite3 ${shellQuote(path)} 'PRAGMA journal_mode=WAL'` : null,
    });
  }
  return findings;
}
