// `port NAME`: lease (or renew) NAME's port, reserve a fixed one, or release. One function with
// one set of rules for the flags, so that a conflicting request is refused the same way through
// every door instead of one of them silently picking a meaning.
import { UsageError } from '../core/errors.ts';
import { type LeaseResult, leasePort, listPortRecords, type PortRecord, releasePort, reservePort } from '../core/ports/ports.ts';
import { parseDuration, parsePort } from '../core/validate.ts';
import { nameToCreate, nameToFind } from './names.ts';
import type { Session } from './session.ts';

export interface PortInput {
  /** as typed: web (the current project's) or shop/web */
  name: string;
  /** the project, overriding the directory's (--project) */
  project?: string;
  /** with reserve: the port to reserve */
  port?: string | number;
  ttl?: string;
  reserve?: boolean;
  release?: boolean;
}

export type PortResult = { kind: 'lease' | 'reserve'; doc: LeaseResult } | { kind: 'release'; doc: { released: PortRecord } };

export async function portVerb(session: Session, input: PortInput): Promise<PortResult> {
  if (input.reserve && input.release) throw new UsageError('reserve and release cannot be used together', 'berth port --reserve NAME PORT | berth port --release NAME');
  const ctx = { project: input.project };
  if (input.release) {
    if (input.port !== undefined || input.ttl !== undefined) throw new UsageError('release takes only a name', 'berth port --release NAME');
    const registry = session.existingRegistry();
    const name = await nameToFind(session, input.name, registry ? listPortRecords(registry).map((p) => p.name) : [], ctx);
    return { kind: 'release', doc: { released: releasePort(session.registry(), session.caller, name) } };
  }
  // a lease or reservation is the current project's: `berth port web` in two worktrees is two ports
  const name = await nameToCreate(session, input.name, ctx);
  if (input.reserve) {
    if (input.port === undefined) throw new UsageError('reserve needs a port', 'berth port --reserve NAME PORT');
    if (input.ttl !== undefined) throw new UsageError('a reservation has no TTL: it lasts until released', 'leave out the TTL: berth port --reserve NAME PORT');
    return { kind: 'reserve', doc: reservePort(session.registry(), session.caller, name, parsePort(input.port)) };
  }
  if (input.port !== undefined) throw new UsageError(`unexpected port ${JSON.stringify(String(input.port))} without reserve`, 'to reserve a port: berth port --reserve NAME PORT');
  const ttlMs = input.ttl === undefined ? undefined : parseDuration(input.ttl, 'ttl');
  const range = session.settings.portRange;
  return { kind: 'lease', doc: leasePort(session.registry(), session.caller, name, { ...(ttlMs === undefined ? {} : { ttlMs }), range }) };
}
