// Services in the registry: the record the daemon keeps, so that a new daemon can find, adopt
// or restart what an old one started.
import type { Identity } from '../identity.ts';
import { type Owner, parseOwner } from '../owner.ts';
import type { Registry } from '../registry/registry.ts';
import type { ExitInfo } from './api.ts';
import type { Instance } from './process-tree.ts';
import type { ServiceSpec } from './spec.ts';
import type { ServiceState } from './state.ts';

export interface ServiceRecord {
  spec: ServiceSpec;
  state: ServiceState;
  identity: Identity | null;
  /** the BERTH_INSTANCE marker of the running instance (null for records of older builds) */
  instance: string | null;
  port: number | null;
  owner: Owner | null;
  restarts: number;
  lastExit: ExitInfo | null;
  env: Record<string, string>;
  startedAt: number | null;
  healthySince: number | null;
  detail: string | null;
  createdAt: number;
}

interface ServiceRow {
  name: string;
  spec: string;
  state: ServiceState;
  pid: number | null;
  start_ticks: number | null;
  boot_id: string | null;
  owner: string | null;
  purpose: string | null;
  restarts: number;
  last_exit: string | null;
  created_at: number;
  updated_at: number;
  port: number | null;
  env: string | null;
  started_at: number | null;
  healthy_since: number | null;
  detail: string | null;
  instance: string | null;
}

function fromRow(row: ServiceRow): ServiceRecord {
  return {
    spec: JSON.parse(row.spec) as ServiceSpec,
    state: row.state,
    identity: row.pid === null ? null : { pid: row.pid, startTicks: row.start_ticks ?? 0, bootId: row.boot_id ?? '' },
    instance: row.instance ?? null,
    port: row.port,
    owner: parseOwner(row.owner),
    restarts: row.restarts,
    lastExit: row.last_exit ? (JSON.parse(row.last_exit) as ExitInfo) : null,
    env: row.env ? (JSON.parse(row.env) as Record<string, string>) : {},
    startedAt: row.started_at,
    healthySince: row.healthy_since,
    detail: row.detail,
    createdAt: row.created_at,
  };
}

export function loadService(registry: Registry, name: string): ServiceRecord | undefined {
  const row = registry.get<ServiceRow>('SELECT * FROM services WHERE name = ?', name);
  return row ? fromRow(row) : undefined;
}

export function loadServices(registry: Registry): ServiceRecord[] {
  return registry.all<ServiceRow>('SELECT * FROM services ORDER BY name').map(fromRow);
}

export function saveService(registry: Registry, record: ServiceRecord, now = Date.now()): void {
  registry.run(
    `INSERT INTO services (name, spec, state, pid, start_ticks, boot_id, owner, purpose, restarts, last_exit, created_at, updated_at, port, env, started_at, healthy_since, detail, instance)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, state = excluded.state, pid = excluded.pid, start_ticks = excluded.start_ticks,
       boot_id = excluded.boot_id, owner = excluded.owner, purpose = excluded.purpose, restarts = excluded.restarts, last_exit = excluded.last_exit,
       updated_at = excluded.updated_at, port = excluded.port, env = excluded.env, started_at = excluded.started_at,
       healthy_since = excluded.healthy_since, detail = excluded.detail, instance = excluded.instance`,
    record.spec.name,
    JSON.stringify(record.spec),
    record.state,
    record.identity?.pid ?? null,
    record.identity?.startTicks ?? null,
    record.identity?.bootId ?? null,
    record.owner ? JSON.stringify(record.owner) : null,
    record.spec.purpose,
    record.restarts,
    record.lastExit ? JSON.stringify(record.lastExit) : null,
    record.createdAt,
    now,
    record.port,
    JSON.stringify(record.env),
    record.startedAt,
    record.healthySince,
    record.detail,
    record.instance,
  );
}

/** The running instance a record names (its leader and marker), if it names one. */
export function instanceOf(record: ServiceRecord): Instance | null {
  return record.identity === null ? null : { leader: record.identity, marker: record.instance };
}

export function deleteService(registry: Registry, name: string): void {
  registry.run('DELETE FROM services WHERE name = ?', name);
}
