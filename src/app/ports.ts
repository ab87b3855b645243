// `port NAME`: lease (or renew) NAME's port, reserve a fixed one, or release. One function with
// one set of rules for the flags, so that a conflicting request is refused the same way through
// every door instead of one of them silently picking a meaning.
import { UsageError } from '../core/errors.ts';
import { type LeaseResult, leasePort, type PortRecord, releasePort, reservePort } from '../core/ports/ports.ts';
import { parseDuration, parseName, parsePort } from '../core/validate.ts';
import type { Session } from './session.ts';

export interface PortInput {
  name: string;
  /** with reserve: the port to reserve */
  port?: string | number;
  ttl?: string;
  reserve?: boolean;
  release?: boolean;
}

export type PortResult = { kind: 'lease' | 'reserve'; doc: LeaseResult } | { kind: 'release'; doc: { released: PortRecord } };

export function portVerb(session: Session, input: PortInput): PortResult {
  const name = parseName(input.name);
  if (input.reserve && input.release) throw new UsageError('reserve and release cannot be used together', 'berth port --reserve NAME PORT | berth port --release NAME');
  if (input.release) {
    if (input.port !== undefined || input.ttl !== undefined) throw new UsageError('release takes only a name', 'berth port --release NAME');
    return { kind: 'release', doc: { released: releasePort(session.registry(), session.caller, name) } };
  }
  if (input.reserve) {
    if (input.port === undefined) throw new UsageError('reserve needs a port', 'berth port --reserve NAME PORT');
    if (input.ttl !== undefined) throw new UsageError('a reservation has no TTL: it lasts until released');
    return { kind: 'reserve', doc: reservePort(session.registry(), session.caller, name, parsePort(input.port)) };
  }
  if (input.port !== undefined) throw new UsageError(`unexpected port ${JSON.stringify(String(input.port))} without reserve`, 'to reserve a port: berth port --reserve NAME PORT');
  const ttlMs = input.ttl === undefined ? undefined : parseDuration(input.ttl, 'ttl');
  const range = session.settings.portRange;
  return { kind: 'lease', doc: leasePort(session.registry(), session.caller, name, { ...(ttlMs === undefined ? {} : { ttlMs }), range }) };
}
