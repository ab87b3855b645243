// The registry's schema, one migration per version. PRAGMA user_version holds the version;
// a registry with a higher version than the last entry here was written by a newer berth
// and is refused rather than modified. A step is SQL, or a function (run inside the same
// transaction) where the change needs more than SQL, such as a directory's base name.
import type { Registry } from './registry.ts';
import { migrateToProjects } from './projects-migration.ts';

export const MIGRATIONS: ReadonlyArray<string | ((registry: Registry) => void)> = [
  // 1: services, ports (leases and reservations), named locks, the audit log
  `
  CREATE TABLE services (
    name        TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    state       TEXT NOT NULL,
    pid         INTEGER,
    start_ticks INTEGER,
    boot_id     TEXT,
    owner       TEXT,
    purpose     TEXT,
    restarts    INTEGER NOT NULL DEFAULT 0,
    last_exit   TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  );
  CREATE TABLE ports (
    port        INTEGER PRIMARY KEY CHECK (port BETWEEN 1 AND 65535),
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('lease', 'reservation')),
    owner       TEXT,
    holder_pid  INTEGER,
    holder_start_ticks INTEGER,
    holder_boot_id TEXT,
    created_at  INTEGER NOT NULL,
    renewed_at  INTEGER NOT NULL,
    expires_at  INTEGER
  );
  CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    pid         INTEGER NOT NULL,
    start_ticks INTEGER NOT NULL,
    boot_id     TEXT NOT NULL,
    command     TEXT NOT NULL,
    owner       TEXT,
    acquired_at INTEGER NOT NULL
  );
  CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    owner    TEXT,
    verb     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    details  TEXT
  );
  CREATE INDEX events_at ON events (at);
  `,
  // 2: what the supervisor needs to bring a service back and to explain it
  `
  ALTER TABLE services ADD COLUMN port INTEGER;
  ALTER TABLE services ADD COLUMN env TEXT;
  ALTER TABLE services ADD COLUMN started_at INTEGER;
  ALTER TABLE services ADD COLUMN healthy_since INTEGER;
  ALTER TABLE services ADD COLUMN detail TEXT;
  `,
  // 3: the marker every process of an instance inherits (BERTH_INSTANCE): proof of membership
  `
  ALTER TABLE services ADD COLUMN instance TEXT;
  `,
  // 4: projects: every service's name becomes project/service (decision 0016)
  migrateToProjects,
  // 5: shared rate limits: one token bucket per name (decision 0021). tokens may be negative:
  // each taker reserves its token and waits until it is due (src/core/rate/bucket.ts).
  `
  CREATE TABLE rate_buckets (
    name        TEXT PRIMARY KEY,
    count       INTEGER NOT NULL CHECK (count > 0),
    period_ms   INTEGER NOT NULL CHECK (period_ms > 0),
    burst       INTEGER NOT NULL CHECK (burst > 0),
    tokens      REAL NOT NULL,
    updated_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
