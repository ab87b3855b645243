// Port leases and reservations. A port row's primary key is the port and its name is unique,
// so two processes can never be handed the same port, or one name two ports: the database
// enforces it, not a read-then-write in our code.
import { NotFoundError, PortTakenError, PortsExhaustedError } from '../errors.ts';
import { type Identity, isAlive } from '../identity.ts';
import { busyPorts } from '../inspect/sockets.ts';
import { type Caller, type Owner, parseOwner } from '../owner.ts';
import { recordEvent } from '../registry/events.ts';
import { isLive } from '../supervisor/state.ts';
import { loadService } from '../supervisor/store.ts';
import type { Registry } from '../registry/registry.ts';
import { DEFAULT_PORT_RANGE, type PortRange } from '../validate.ts';

export type PortKind = 'lease' | 'reservation';

export interface PortRecord {
  port: number;
  name: string;
  kind: PortKind;
  owner: Owner | null;
  holder: Identity | null;
  createdAt: string;
  renewedAt: string;
  expiresAt: string | null;
}

interface PortRow {
  port: number;
  name: string;
  kind: PortKind;
  owner: string | null;
  holder_pid: number | null;
  holder_start_ticks: number | null;
  holder_boot_id: string | null;
  created_at: number;
  renewed_at: number;
  expires_at: number | null;
}

export interface LeaseOptions {
  ttlMs?: number;
  /** the process the lease is for (a service); the lease is reclaimed when it is gone */
  holder?: Identity;
  range?: PortRange;
  now?: number;
  /** ports in use on the host; defaults to reading /proc/net */
  busy?: () => Set<number>;
}

export interface LeaseResult extends PortRecord {
  /** true when this call created the lease (false: an existing lease or reservation was returned) */
  created: boolean;
}

function toRecord(row: PortRow): PortRecord {
  return {
    port: row.port,
    name: row.name,
    kind: row.kind,
    owner: parseOwner(row.owner),
    holder:
      row.holder_pid === null ? null : { pid: row.holder_pid, startTicks: row.holder_start_ticks ?? 0, bootId: row.holder_boot_id ?? '' },
    createdAt: new Date(row.created_at).toISOString(),
    renewedAt: new Date(row.renewed_at).toISOString(),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
  };
}

/** Why a lease no longer counts, or undefined while it lives. Reservations never lapse. */
export function leaseLapse(record: PortRecord, now = Date.now()): 'expired' | 'holder_gone' | undefined {
  if (record.kind !== 'lease') return undefined;
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now) return 'expired';
  if (record.holder !== null && !isAlive(record.holder)) return 'holder_gone';
  return undefined;
}

/** FNV-1a: a stable spread of names over the range, so a name tends to get the same port across releases. */
export function preferredPort(name: string, range: PortRange): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return range.low + (hash % (range.high - range.low + 1));
}

/** Deletes lapsed leases (TTL passed, holder gone) and records each as an event. Call inside a transaction. */
export function reclaimLapsedLeases(registry: Registry, caller: Caller, now = Date.now()): PortRecord[] {
  const reclaimed: PortRecord[] = [];
  for (const row of registry.all<PortRow>("SELECT * FROM ports WHERE kind = 'lease'")) {
    const record = toRecord(row);
    const lapse = leaseLapse(record, now);
    if (lapse === undefined) continue;
    registry.run('DELETE FROM ports WHERE port = ?', row.port);
    recordEvent(registry, caller, { verb: 'lease.reclaim', subject: record.name, outcome: 'reclaimed', details: { port: record.port, reason: lapse } }, now);
    reclaimed.push(record);
  }
  return reclaimed;
}

/**
 * Leases a port for name: the same port while its lease lives (a TTL given again renews it);
 * otherwise the first port from a hash of the name that is neither reserved, leased nor in use.
 */
export function leasePort(registry: Registry, caller: Caller, name: string, opts: LeaseOptions = {}): LeaseResult {
  const range = opts.range ?? DEFAULT_PORT_RANGE;
  // The host's sockets are read only for a new lease (asking again for a lease one has, the
  // common call, reads none), and before taking the write lock: it is the slow part. A lease
  // found lapsed under the lock (reclaimed below) reads them there, which is rare.
  const readBusy = opts.busy ?? busyPorts;
  const has = findPortRecord(registry, name) !== undefined;
  let busy = has ? undefined : readBusy();
  return registry.transaction(() => {
    const now = opts.now ?? Date.now();
    reclaimLapsedLeases(registry, caller, now);
    const expires = opts.ttlMs === undefined ? null : now + opts.ttlMs;
    const existing = registry.get<PortRow>('SELECT * FROM ports WHERE name = ?', name);
    if (existing) {
      if (existing.kind === 'lease' && (expires !== null || opts.holder)) {
        registry.run(
          'UPDATE ports SET renewed_at = ?, expires_at = coalesce(?, expires_at), holder_pid = coalesce(?, holder_pid), holder_start_ticks = coalesce(?, holder_start_ticks), holder_boot_id = coalesce(?, holder_boot_id) WHERE port = ?',
          now,
          expires,
          opts.holder?.pid ?? null,
          opts.holder?.startTicks ?? null,
          opts.holder?.bootId ?? null,
          existing.port,
        );
      }
      return { ...toRecord(registry.get<PortRow>('SELECT * FROM ports WHERE port = ?', existing.port)!), created: false };
    }
    busy ??= readBusy();
    const taken = new Set(registry.all<{ port: number }>('SELECT port FROM ports').map((r) => r.port));
    const size = range.high - range.low + 1;
    const start = preferredPort(name, range);
    for (let i = 0; i < size; i++) {
      const port = range.low + ((start - range.low + i) % size);
      if (taken.has(port) || busy.has(port)) continue;
      registry.run(
        "INSERT INTO ports (port, name, kind, owner, holder_pid, holder_start_ticks, holder_boot_id, created_at, renewed_at, expires_at) VALUES (?, ?, 'lease', ?, ?, ?, ?, ?, ?, ?)",
        port,
        name,
        JSON.stringify(caller.owner),
        opts.holder?.pid ?? null,
        opts.holder?.startTicks ?? null,
        opts.holder?.bootId ?? null,
        now,
        now,
        expires,
      );
      recordEvent(registry, caller, { verb: 'lease', subject: name, outcome: 'ok', details: { port, ttlMs: opts.ttlMs ?? null } }, now);
      return { ...toRecord(registry.get<PortRow>('SELECT * FROM ports WHERE port = ?', port)!), created: true };
    }
    throw new PortsExhaustedError(range.low, range.high);
  });
}

/** Reserves a fixed port for name. Fails with PortTakenError if another name holds it; replaces name's own lease. */
export function reservePort(registry: Registry, caller: Caller, name: string, port: number, now = Date.now()): LeaseResult {
  const outcome = registry.transaction((): LeaseResult | PortRow => {
    reclaimLapsedLeases(registry, caller, now);
    const holder = registry.get<PortRow>('SELECT * FROM ports WHERE port = ?', port);
    if (holder && holder.name !== name) return holder;
    if (holder && holder.kind === 'reservation') return { ...toRecord(holder), created: false };
    const previous = registry.get<PortRow>('SELECT * FROM ports WHERE name = ?', name);
    registry.run('DELETE FROM ports WHERE name = ?', name);
    registry.run(
      "INSERT INTO ports (port, name, kind, owner, created_at, renewed_at) VALUES (?, ?, 'reservation', ?, ?, ?)",
      port,
      name,
      JSON.stringify(caller.owner),
      now,
      now,
    );
    recordEvent(registry, caller, {
      verb: 'reserve',
      subject: name,
      outcome: 'ok',
      details: { port, ...(previous ? { replaced: { port: previous.port, kind: previous.kind } } : {}) },
    }, now);
    return { ...toRecord(registry.get<PortRow>('SELECT * FROM ports WHERE port = ?', port)!), created: true };
  });
  if ('created' in outcome) return outcome;
  // The refusal is recorded after the transaction, which stays free of the failed change.
  recordEvent(registry, caller, { verb: 'reserve', subject: name, outcome: 'refused', details: { port, heldBy: outcome.name, kind: outcome.kind } }, now);
  throw new PortTakenError(port, { name: outcome.name }, supervised(registry, outcome.name) ? `it belongs to berth service "${outcome.name}", which is running or being restarted: pick another port (or --port auto), or see: berth ps ${outcome.name}` : undefined);
}

/** True when a berth service of that name is running or being restarted: its reservation is not one to release. */
function supervised(registry: Registry, name: string): boolean {
  const record = loadService(registry, name);
  return record !== undefined && (record.state === 'backoff' || (isLive(record.state) && record.identity !== null && isAlive(record.identity)));
}

/** Releases name's lease or reservation. Throws NotFoundError if it has none. */
export function releasePort(registry: Registry, caller: Caller, name: string, now = Date.now()): PortRecord {
  return registry.transaction(() => {
    const row = registry.get<PortRow>('SELECT * FROM ports WHERE name = ?', name);
    if (!row) throw new NotFoundError(`"${name}" has no leased or reserved port`, 'list them with: berth ports', { name });
    registry.run('DELETE FROM ports WHERE name = ?', name);
    recordEvent(registry, caller, { verb: 'release', subject: name, outcome: 'ok', details: { port: row.port, kind: row.kind } }, now);
    return toRecord(row);
  });
}

export function listPortRecords(registry: Registry): PortRecord[] {
  return registry.all<PortRow>('SELECT * FROM ports ORDER BY port').map(toRecord);
}

export function findPortRecord(registry: Registry, name: string): PortRecord | undefined {
  const row = registry.get<PortRow>('SELECT * FROM ports WHERE name = ?', name);
  return row ? toRecord(row) : undefined;
}
