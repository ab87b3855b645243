// What the daemon reads of a process it is asked to adopt (`berth adopt`), and what it refuses.
// The caller resolved a pid, port or pidfile to an identity (src/core/adopt/target.ts); here,
// in the single writer, the identity is checked again and the process is read from /proc as it
// is now: its command line, cwd and environment (what a restart runs again), and the port its
// tree listens on (reserved for the name, so `who` and doctor attribute it). Refused: pid 1,
// berth itself and its ancestors, the requester and its ancestors, another user's process,
// berth's daemon and registry users (src/core/protect.ts), a process of a berth service
// (it has a name already), and a process with berth's daemon, a registry user or a service below
// it (a subreaper that started the daemon: its stop would reach them). The record it makes has no instance marker: berth did not start
// the process, so its tree is the leader and its live descendants only (process-tree.ts).
import { AdoptRefusedError, type AdoptRefusal } from '../adopt/errors.ts';
import { BerthError, EXIT } from '../errors.ts';
import { detectOwner, isOwnerGone, type Owner } from '../owner.ts';
import { type Identity, isAlive } from '../identity.ts';
import { findListeners } from '../inspect/listeners.ts';
import { inspect, readEnvVar, ticksToEpochMs } from '../inspect/select.ts';
import { readProcessTable } from '../inspect/tree.ts';
import { berthProcessCheck, refusalFor } from '../protect.ts';
import { holderTree, INSTANCE_ENV, instanceTree, type Spared } from './process-tree.ts';
import { isLive } from './state.ts';
import { instanceOf, type ServiceRecord } from './store.ts';

/** Variables berth sets for its own services: not part of what an adopted process runs with. */
const BERTH_OWN_ENV = [INSTANCE_ENV, 'BERTH_SERVICE'];

export interface AdoptableProcess {
  argv: string[];
  cwd: string;
  /** its environment as /proc shows it, minus berth's own markers: what a restart runs it with */
  env: Record<string, string>;
  /** the port it was found by, else the lowest TCP port its tree listens on, else null */
  port: number | null;
  /** when it started (epoch ms) */
  startedAt: number;
}

export interface AdoptCheck {
  home: string;
  /** the requester and its ancestors */
  protect: readonly number[];
  /** berth's service records: a process of one of them is not adopted again */
  services: readonly ServiceRecord[];
  /** the port it was found by */
  port: number | null;
}

/** Reads the process berth is asked to adopt, refusing what berth must not take; throws the reason. */
export function readAdoptable(identity: Identity, check: AdoptCheck): AdoptableProcess {
  const { pid } = identity;
  if (!isAlive(identity)) throw new BerthError('process_gone', `pid ${pid} ended (or is another process now) before berth could adopt it`, { exitCode: EXIT.notFound, details: { pid } });
  const refusal = refusalFor(pid, { home: check.home, protect: check.protect });
  if (refusal !== undefined) throw new AdoptRefusedError(pid, refusal.reason as AdoptRefusal, refusal.why);
  const below = berthBelow(identity, check.home);
  if (below !== undefined) throw new AdoptRefusedError(pid, 'ancestor_of_berth', `berth runs below it (pid ${below.pid}: ${below.reason}): stopping it would stop berth or its services`);
  const service = serviceOf(pid, check.services);
  if (service !== undefined) throw new AdoptRefusedError(pid, 'berth_service', service === null ? 'it was started by berth (it carries a BERTH_INSTANCE marker)' : `it is a process of the berth service ${service}`, service ?? undefined);
  const argv = inspect().readArgv(pid);
  const cwd = inspect().readCwd(pid);
  const environ = inspect().readEnviron(pid);
  if (!argv || argv.length === 0 || cwd === undefined || environ === undefined) {
    throw new BerthError('process_gone', `pid ${pid} cannot be read (it ended, or /proc hides its command line, cwd or environment)`, { exitCode: EXIT.notFound, details: { pid } });
  }
  for (const name of BERTH_OWN_ENV) delete environ[name];
  return { argv, cwd, env: environ, port: check.port ?? listenedPort(identity), startedAt: ticksToEpochMs(identity.startTicks) };
}

/**
 * The berth service a process belongs to: its name, null for a process that carries a marker of
 * no service berth knows here (another home's), undefined for none.
 */
function serviceOf(pid: number, services: readonly ServiceRecord[]): string | null | undefined {
  const marker = readEnvVar(pid, INSTANCE_ENV);
  const table = readProcessTable();
  for (const record of services) {
    const instance = instanceOf(record);
    if (instance === null || !isLive(record.state)) continue;
    if ((marker !== undefined && record.instance === marker) || instanceTree(instance, table).some((id) => id.pid === pid)) return record.spec.name;
  }
  return marker !== undefined ? null : undefined;
}

/** berth's daemon, a registry user or a berth service's process among the process's descendants, if any. */
function berthBelow(identity: Identity, home: string): Spared | undefined {
  const isBerth = berthProcessCheck(home);
  const guard = (pid: number): string | undefined => {
    if (pid === identity.pid) return undefined;
    if (pid === process.pid) return "it is berth's daemon";
    const berth = isBerth(pid);
    if (berth !== undefined) return berth === 'daemon' ? "it is berth's daemon" : "it has berth's registry open";
    return readEnvVar(pid, INSTANCE_ENV) !== undefined ? 'it is a process of a berth service' : undefined;
  };
  return holderTree(identity, undefined, guard).spared[0];
}

/** The lowest TCP port the process or one of its descendants listens on (UDP if it has no TCP one). */
function listenedPort(identity: Identity): number | null {
  const tree = new Set(instanceTree({ leader: identity, marker: null }).map((id) => id.pid));
  const held = findListeners().listeners.filter((l) => l.processes.some((p) => tree.has(p.pid)));
  const ports = (held.some((l) => l.protocol === 'tcp') ? held.filter((l) => l.protocol === 'tcp') : held).map((l) => l.port);
  return ports.length > 0 ? Math.min(...ports) : null;
}

/** The record of an adopted process: running, watched by identity, no marker, kept (not session-scoped). */
export function adoptedRecord(spec: ServiceRecord['spec'], identity: Identity, found: AdoptableProcess, owner: ServiceRecord['owner'], now: number): ServiceRecord {
  return { spec, state: 'running', identity, instance: null, port: found.port, owner, restarts: 0, lastExit: null, env: found.env, startedAt: found.startedAt, healthySince: null, detail: null, createdAt: now };
}

/**
 * The live agent session a process runs for (an agent CLI among its ancestors, alive), if any.
 * Only an agent ancestor is proof: BERTH_SESSION outlives its session and a terminal session
 * may be the process's own (a daemonized server), so neither makes another session the owner.
 */
export function liveAgentOwner(pid: number): Owner | undefined {
  const owner = detectOwner(pid);
  return owner.source === 'agent' && !isOwnerGone(owner) ? owner : undefined;
}
